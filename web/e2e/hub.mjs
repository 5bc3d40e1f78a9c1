// The parts an end-to-end test drives: the simulators (`ihub-sim`), a real `ihub serve` on a fresh SQLite data
// directory serving the built app, an organisation with an admin and a support user made through the operator CLI,
// and headless Debian Chromium through playwright-core. Nothing is mocked: the browser talks to the hub, the hub
// to the simulators, over loopback HTTP.
//
// Environment: IHUB_BIN (default ../target/debug/ihub), IHUB_SIM_BIN (default ../target/debug/ihub-sim), CHROMIUM
// (default /usr/bin/chromium), E2E_SHOTS (default ../target/e2e-screenshots), E2E_POSTGRES_URL (a PostgreSQL server,
// e.g. postgres://postgres@127.0.0.1:5432: each hub gets a fresh database on it, dropped afterwards) or
// E2E_DATABASE_URL (one given database), E2E_REDIS_URL (jobs through Redis, on a queue of the hub's own): the hub on
// PostgreSQL and Redis instead of its embedded defaults. E2E_KEEP=1 keeps the hub's directory and database.

import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, createWriteStream, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(WEB, "..");
export const SHOTS = resolve(process.env.E2E_SHOTS ?? join(ROOT, "target", "e2e-screenshots"));
export const PASSWORD = "correct horse battery";

const bin = (name, env) => resolve(process.env[env] ?? join(ROOT, "target", "debug", name));

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs one statement on the PostgreSQL server of E2E_POSTGRES_URL (its maintenance database). */
function psql(sql) {
  execFileSync("psql", ["-q", "-v", "ON_ERROR_STOP=1", `${process.env.E2E_POSTGRES_URL.replace(/\/+$/, "")}/postgres`, "-c", sql], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Starts `command` with its output in `log`; resolves the first stdout line that parses as JSON when `json`. */
function start(command, args, { env, log, json = false }) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = createWriteStream(log);
  child.stderr.pipe(out);
  let firstJson;
  if (json) {
    firstJson = new Promise((resolveJson, reject) => {
      let buffered = "";
      child.stdout.on("data", (chunk) => {
        buffered += chunk;
        const line = buffered.split("\n").find((l) => l.trim().startsWith("{"));
        if (line) resolveJson(JSON.parse(line));
      });
      child.on("exit", (code) => reject(new Error(`${command} exited with ${code} before printing its addresses; see ${log}`)));
    });
  } else {
    child.stdout.pipe(out);
  }
  return { child, firstJson };
}

async function waitReady(url, child, log) {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}; see ${log}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the hub did not answer ${url} within a minute; see ${log}`);
}

/**
 * A running hub beside the simulators, with organisation "E2E Co" (Australia/Sydney) and two users. `stop()` ends
 * both processes and removes the data directory unless E2E_KEEP is set.
 */
export async function startHub({ people = 25 } = {}) {
  const ihub = bin("ihub", "IHUB_BIN");
  const sim = bin("ihub-sim", "IHUB_SIM_BIN");
  for (const b of [ihub, sim]) {
    if (!existsSync(b)) throw new Error(`${b} is missing: cargo build -p ihub --bin ihub -p ihub-simulators --bin ihub-sim`);
  }
  const dir = mkdtempSync(join(tmpdir(), "ihub-e2e-"));
  const simulators = start(sim, ["--port", "0", "-n", String(people), "--json"], { log: join(dir, "sim.log"), json: true });
  const sims = await simulators.firstJson;

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    IHUB_DATA_DIR: join(dir, "data"),
    IHUB_LISTEN: `127.0.0.1:${port}`,
    IHUB_PUBLIC_URL: base,
    IHUB_WEB_DIR: join(WEB, "dist"),
    // The simulators listen on loopback, which the hub refuses to call unless allowed.
    IHUB_ALLOW_PRIVATE_NETWORKS: "true",
    IHUB_LOG: process.env.IHUB_LOG ?? "info",
    // Short worker ticks so a run the browser starts is picked up at once.
    IHUB_WORKER_TICK_MS: "200",
  };
  let database;
  if (process.env.E2E_POSTGRES_URL) {
    // A database of its own for each hub, dropped at the end, so test files never see each other's rows.
    database = `ihub_e2e_${Date.now().toString(36)}_${process.pid}`;
    psql(`CREATE DATABASE ${database}`);
    env.DATABASE_URL = `${process.env.E2E_POSTGRES_URL.replace(/\/+$/, "")}/${database}`;
  } else if (process.env.E2E_DATABASE_URL) {
    env.DATABASE_URL = process.env.E2E_DATABASE_URL;
  }
  if (process.env.E2E_REDIS_URL) {
    env.REDIS_URL = process.env.E2E_REDIS_URL;
    // A queue of its own, so jobs left by an earlier run of the tests are not picked up.
    env.IHUB_REDIS_QUEUE = `ihub-e2e-${Date.now().toString(36)}`;
  }
  if (!existsSync(join(WEB, "dist", "index.html"))) throw new Error("web/dist is missing: npm --prefix web run build");
  const hub = start(ihub, ["serve"], { env, log: join(dir, "hub.log") });
  await waitReady(`${base}/readyz`, hub.child, join(dir, "hub.log"));

  const cli = (...args) => execFileSync(ihub, ["admin", ...args], { env: { ...process.env, ...env, IHUB_LOG: "warn" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  const org = `E2E Co ${Date.now().toString(36)}`;
  cli("create-org", "--name", org, "--timezone", "Australia/Sydney");
  const admin = { email: `admin-${Date.now().toString(36)}@e2e.example`, password: PASSWORD };
  const support = { email: `support-${Date.now().toString(36)}@e2e.example`, password: PASSWORD };
  cli("create-user", "--org", org, "--email", admin.email, "--password", PASSWORD, "--role", "admin", "--name", "Ada Admin");
  cli("create-user", "--org", org, "--email", support.email, "--password", PASSWORD, "--role", "support", "--name", "Sam Support");

  return {
    base,
    sims,
    admin,
    support,
    dir,
    /** Calls a simulator control endpoint (`/_control/...`). */
    async control(method, path, body) {
      const res = await fetch(`${sims.control}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.headers.get("content-type")?.includes("json") ? res.json() : res.text();
    },
    async stop() {
      for (const p of [hub.child, simulators.child]) {
        if (p.exitCode === null) {
          p.kill("SIGTERM");
          await new Promise((r) => {
            const timer = setTimeout(() => {
              p.kill("SIGKILL");
              r();
            }, 10_000);
            p.on("exit", () => {
              clearTimeout(timer);
              r();
            });
          });
        }
      }
      if (!process.env.E2E_KEEP) {
        rmSync(dir, { recursive: true, force: true });
        if (database) psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } else console.log(`# hub directory kept: ${dir}${database ? `, database ${database}` : ""}`);
    },
  };
}

/** Headless Debian Chromium; never a downloaded browser. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * A page in a fresh context (its own session), failing loudly: uncaught page errors and console errors are
 * collected in `log.errors` for the test to assert on; requests that leave the hub or the simulators are listed in
 * `log.external`.
 */
export async function newPage(browser, hub) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-AU" });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const log = { errors: [], external: [], requests: [] };
  const allowed = new Set([new URL(hub.base).origin, ...Object.values(hub.sims).flatMap((s) => (typeof s === "object" ? Object.values(s) : [s])).filter((v) => typeof v === "string" && v.startsWith("http")).map((v) => new URL(v).origin)]);
  page.on("pageerror", (e) => log.errors.push(e.message));
  // The browser logs every 4xx answer as "Failed to load resource"; some steps provoke those on purpose.
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && log.errors.push(m.text()));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!allowed.has(u.origin) && u.protocol.startsWith("http")) log.external.push(r.url());
    log.requests.push(`${r.method()} ${u.pathname}`);
  });
  return { page, context, log };
}

/** A full-page screenshot in SHOTS/<name>.png. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page, base, user) {
  await page.goto(`${base}/signin`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector(".shell");
}

/** The input labelled exactly `text` (the label may end in the required marker or "(optional)"). */
export const field = (page, text) =>
  page.getByLabel(new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( \\*| \\(optional\\))?$`));

/** Picks the option of a <select> whose text starts with `prefix`. */
export async function selectStarting(select, prefix, timeout = 15_000) {
  // The options may still be loading.
  const deadline = Date.now() + timeout;
  for (;;) {
    const labels = await select.locator("option").allInnerTexts();
    const label = labels.find((l) => l.startsWith(prefix));
    if (label) return select.selectOption({ label });
    if (Date.now() > deadline) throw new Error(`no option starting with ${prefix} in ${labels.join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * On the new-connection page: a SCIM connection to the simulator, created and tested; waits for the test to say it
 * is connected.
 */
export async function addScimConnection(page, hub, name) {
  await page.getByText("SCIM 2.0").click();
  await field(page, "Name").fill(name);
  await page.getByLabel("Base URL").fill(hub.sims.scim.base_url);
  await page.getByLabel("Token").fill(hub.sims.scim.token);
  await page.getByRole("button", { name: "Create connection" }).click();
  await page.waitForURL(/\/connections\/[0-9a-f-]+$/);
  await page.getByRole("button", { name: "Test connection" }).click();
  await page.locator(".alert-success").filter({ hasText: /connected/i }).waitFor();
}

export const alertText = async (page) => (await page.locator('[role="alert"]').allInnerTexts()).join(" | ");
