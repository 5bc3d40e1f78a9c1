// The operating screens in headless Chromium against a real hub and the real simulators (see hub.mjs): a run
// cancelled while it moves, a run with a record the target refused (its report filtered to the failure, the CSV,
// the replay of the failed record that links back), the logs (by level and integration, marked checked), the queue
// of webhook events (registered with BambooHR through the app, held by a long webhook delay, processed now; a
// failed one with its reason, re-activated), the integration dates (the warning before saving, the saved value),
// and what a support user may and may not do on those screens.
//
// Connections and integrations are set up through the REST API (journey.test.mjs drives those forms); everything
// this file is about is driven through the app. Faults come from the simulators' controls: SCIM latency to keep a
// run moving, scripted SCIM 400s for a refused record. Screenshots: target/e2e-screenshots/ops-*.
//
//   cargo build -p ihub --bin ihub -p ihub-simulators --bin ihub-sim && npm --prefix web run build
//   node --test e2e/operations.test.mjs     (from web/)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launchBrowser, newPage, shot, signIn, startHub } from "./hub.mjs";

// The worker notices a cancel at its next heartbeat: a short one keeps the cancel steps quick and certain.
process.env.IHUB_HEARTBEAT_MS ??= "500";

const PEOPLE = 40;
const RUN = Date.now().toString(36).slice(-5);
const names = {
  source: `BambooHR ${RUN}`,
  target: `LMS ${RUN}`,
  integration: `BambooHR → LMS ${RUN}`,
  other: `Another BambooHR → LMS ${RUN}`,
};

let hub;
let browser;
let admin; // { page, context, log }
let token = "";
const ids = { source: "", target: "", integration: "", other: "" };
let integrationUrl = "";
let partialRunUrl = "";
let failedPerson = { name: "", sourceId: "" };

// ---- the API, for setting up and for checking what the screens claim ----

async function api(method, path, body, bearer = token) {
  const res = await fetch(`${hub.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function login(user) {
  const res = await fetch(`${hub.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  assert.equal(res.status, 200, "the admin signs in through the API");
  return (await res.json()).access_token;
}

/** Polls `probe` until it answers something truthy. */
async function until(what, probe, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const runEnded = (r) => ["done", "partial", "failed", "cancelled"].includes(r.status);

/** The source ids of the people the integration has written to the target (created or updated by some run). */
async function writtenPeople() {
  const runs = await api("GET", `/integrations/${ids.integration}/runs?limit=100`);
  const written = new Set();
  for (const run of runs.items) {
    const records = await api("GET", `/runs/${run.id}/records?limit=200`);
    for (const r of records.items) if (r.outcome === "created" || r.outcome === "updated") written.add(r.source_id);
  }
  return written;
}

/** Simulator people (index and BambooHR id) already in the target, so a change of theirs is written there. */
async function peopleInTarget(count, skip = new Set()) {
  const written = await writtenPeople();
  const found = [];
  for (let i = 0; i < PEOPLE && found.length < count; i++) {
    const p = await hub.control("GET", `/people/${i}`);
    const id = String(p.ids.bamboohr_id);
    if (written.has(id) && !skip.has(id) && !p.termination_date) found.push({ index: i, id, name: p.name });
  }
  assert.equal(found.length, count, "enough people are in the target");
  return found;
}

/** Changes a person's job title in BambooHR; its registered webhook delivers the change to the hub's queue. */
async function changeAndAwaitQueueItem(person, title) {
  await hub.control("PATCH", `/people/${person.index}`, { job_title: title });
  return until(`the webhook event of ${person.id} in the queue`, async () => {
    const q = await api("GET", `/queue?integration_id=${ids.integration}&status=pending&limit=100`);
    return q.items.find((i) => i.source_id === person.id);
  });
}

// ---- the page ----

/** Nothing went wrong in the page that the user would not see: no uncaught errors, no request outside loopback. */
function assertClean({ log }) {
  assert.deepEqual(log.errors, [], "errors in the browser console");
  assert.deepEqual(log.external, [], "requests leaving the hub and the simulators");
}

const nav = (page, name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
const runStatus = (page) => page.locator("header [data-testid=run-status]");
const dialogButton = (page, name) => page.getByRole("dialog").getByRole("button", { name, exact: true });

/** Waits for the run page to show an ended status: the page polls while the run moves, the test never reloads. */
async function waitForRunEnd(page, timeout = 30_000) {
  await page.waitForFunction(
    () => ["done", "partial", "failed", "cancelled"].includes(document.querySelector("header [data-testid=run-status]")?.getAttribute("data-status") ?? ""),
    undefined,
    { timeout },
  );
  return runStatus(page).getAttribute("data-status");
}

/** Presses Run now on the integration page and follows the queued run to its page. */
async function runNowAndFollow(page) {
  await page.goto(integrationUrl);
  await page.getByRole("button", { name: "Run now", exact: true }).click();
  await page.getByRole("link", { name: "Follow it in its report" }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
  return page.url();
}

/** A marker in the page's window: still there later means the page was never reloaded. */
const mark = (page) => page.evaluate(() => (window.__opsMarker = Math.random()));
const marker = (page) => page.evaluate(() => window.__opsMarker);

/** RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks) → rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

before(async () => {
  [hub, browser] = await Promise.all([startHub({ people: PEOPLE }), launchBrowser()]);
  token = await login(hub.admin);
  const { bamboohr, scim } = hub.sims;
  // The simulators answer at once: no need for the connectors' default pacing of real APIs.
  const pace = { requests_per_minute: 60_000, burst: 1000 };
  const connect = async (name, connector, settings, credentials) => {
    const c = await api("POST", "/connections", { name, connector, settings: { ...settings, ...pace }, credentials });
    const tested = await api("POST", `/connections/${c.id}/test`);
    assert.equal(tested.status, "connected", `${name} tests connected: ${tested.last_error}`);
    return c.id;
  };
  ids.source = await connect(names.source, "bamboohr", { company_domain: bamboohr.company_domain, api_base_url: bamboohr.api_base_url }, { api_key: bamboohr.api_key });
  ids.target = await connect(names.target, "scim", { base_url: scim.base_url }, { token: scim.token });
  const integrate = async (name, settings) =>
    (await api("POST", "/integrations", { name, kind: "employees_to_users", source_connection_id: ids.source, target_connection_id: ids.target, settings })).id;
  // Webhook events wait an hour: they stay pending until someone processes them.
  ids.integration = await integrate(names.integration, { webhook_delay_seconds: 3600 });
  assert.equal((await api("POST", `/integrations/${ids.integration}/enable`)).state, "active");
  integrationUrl = `${hub.base}/integrations/${ids.integration}`;
  // Another integration with an entry of its own in the logs (a date changed by hand), for the integration filter.
  ids.other = await integrate(names.other, {});
  await api("PUT", `/integrations/${ids.other}/dates`, { employees_updated_since: "2024-06-01T00:00:00Z" });
  admin = await newPage(browser, hub);
  await signIn(admin.page, hub.base, hub.admin);
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

describe("an administrator operating the hub", () => {
  test("watches a slow run move and cancels it without reloading", async () => {
    const { page } = admin;
    // Every SCIM answer takes a second: the first run (everyone is new: a lookup, the manager's, a create; eight
    // people at a time) would take about twenty seconds, long enough to watch it and cancel it half way.
    await hub.control("PUT", "/faults/scim", { latency: 1000 });
    try {
      const url = await runNowAndFollow(page);
      const marked = await mark(page);
      // The page follows the run on its own: in progress, and lines arrive as the people are written.
      await page.waitForFunction(
        () =>
          document.querySelector("header [data-testid=run-status]")?.getAttribute("data-status") === "in_progress" &&
          document.querySelectorAll("[data-testid=record-row]").length > 0,
        undefined,
        { timeout: 20_000 },
      );
      const first = await page.locator("[data-testid=record-row]").count();
      await page.getByText("The run is still going: lines appear as it writes them.").waitFor();
      await page.waitForFunction((n) => document.querySelectorAll("[data-testid=record-row]").length > n, first, { timeout: 15_000 });
      assert.equal(await runStatus(page).getAttribute("data-status"), "in_progress", "still running after more lines came in");
      await shot(page, "ops-01-run-in-progress");

      await page.getByRole("button", { name: "Cancel run" }).click();
      await dialogButton(page, "Cancel run").click();
      await page.getByText("The run stops at the next record.").waitFor();
      // Until the worker stops it, the badge says it is stopping.
      if ((await runStatus(page).getAttribute("data-status")) === "in_progress") assert.match(await runStatus(page).innerText(), /Cancelling/i);
      assert.equal(await page.getByRole("button", { name: "Cancel run" }).count(), 0, "no second cancel");
      assert.equal(await waitForRunEnd(page), "cancelled");
      assert.equal(await marker(page), marked, "the page was never reloaded");
      assert.equal(page.url(), url);

      const run = await api("GET", `/runs/${url.split("/").pop()}`);
      assert.equal(run.status, "cancelled");
      assert.ok(run.records_written > 0 && run.records_written < PEOPLE, `stopped part way: ${run.records_written} of ${PEOPLE} written`);
      const counts = await page.getByTestId("run-counts").innerText();
      assert.match(counts, new RegExp(`${run.records_written} written`), counts);
      // The lines shown are the run's lines, all of them: the people written, and those it looked at and left.
      const lines = (await api("GET", `/runs/${run.id}/records?limit=200`)).items;
      assert.ok(lines.length < PEOPLE, `${lines.length} lines`);
      const rowCount = (n) => page.waitForFunction((m) => document.querySelectorAll("[data-testid=record-row]").length === m, n);
      await rowCount(Math.min(lines.length, 25));
      if (lines.length > 25) {
        await page.getByRole("button", { name: "Load more" }).click();
        await rowCount(lines.length);
      }
      await page.getByText(`${lines.length} shown · all loaded`).waitFor();
      assert.equal(await page.locator("[data-testid=record-row][data-outcome=created]").count(), run.records_written);
      assert.equal(await page.getByRole("button", { name: "Replay failed" }).count(), 0, "nothing failed, nothing to replay");
      await shot(page, "ops-02-run-cancelled");
    } finally {
      await hub.control("DELETE", "/faults/scim");
    }
    assertClean(admin);
  });

  test("a record the target refuses: partial run, the failure filtered, as CSV, replayed", async () => {
    const { page } = admin;
    // The next two SCIM requests are answered 400. The first is the look-up of the run's new people at once: the hub
    // then looks each of them up alone, and the person the second was for fails; the others are written.
    await hub.control("PUT", "/faults/scim", { scripted: [{ status: 400 }, { status: 400 }] });
    try {
      partialRunUrl = await runNowAndFollow(page);
      assert.equal(await waitForRunEnd(page), "partial");
    } finally {
      await hub.control("DELETE", "/faults/scim");
    }
    const runId = partialRunUrl.split("/").pop();
    const run = await api("GET", `/runs/${runId}`);
    assert.equal(run.records_errors, 1, `one record failed: ${JSON.stringify(run)}`);
    const counts = await page.getByTestId("run-counts").innerText();
    assert.match(counts, /1 error\b/, counts);
    assert.match(counts, new RegExp(`${PEOPLE} read`), counts);
    assert.match(await page.locator(".deflist").innerText(), /1 records? failed/, "the run's error in the summary");

    await page.getByLabel("Outcome").selectOption({ label: "Failed" });
    await page.waitForURL(/[?&]outcome=failed/);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("[data-testid=record-row]")];
      return rows.length === 1 && rows[0].getAttribute("data-outcome") === "failed";
    });
    const line = page.locator("[data-testid=record-row]");
    const cells = await line.locator("td").allInnerTexts();
    failedPerson = { name: cells[0].split("\n")[0].trim(), sourceId: cells[0].split("\n")[1].trim() };
    assert.ok(failedPerson.name && failedPerson.sourceId, `the line names the person: ${cells[0]}`);
    assert.equal(cells[2].trim(), "Failed");
    const why = cells[4];
    assert.match(why, /400/, `the target's answer in words: ${why}`);
    assert.match(why, /Bad Request/i, `the target's answer in words: ${why}`);
    await shot(page, "ops-03-run-partial-failed-line");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const rows = parseCsv(await readFile(await download.path(), "utf8"));
    const header = rows[0];
    assert.deepEqual(header, ["name", "source_id", "target_id", "decision", "reason", "outcome", "error", "changes", "time_utc", "time_local"]);
    const body = rows.slice(1).filter((r) => r.length > 1);
    assert.equal(body.length, 1, "the CSV has the lines shown: the one failure");
    const csvLine = Object.fromEntries(header.map((h, i) => [h, body[0][i]]));
    assert.equal(csvLine.name, failedPerson.name);
    assert.equal(csvLine.source_id, failedPerson.sourceId);
    assert.equal(csvLine.outcome, "failed");
    assert.match(csvLine.error, /400/);
    assert.match(csvLine.time_utc, /^\d{4}-\d\d-\d\dT/);

    // The target takes the person now: replaying writes them, in a new run that links back.
    await page.getByRole("button", { name: "Replay failed" }).click();
    const dialog = page.getByRole("dialog");
    assert.match(await dialog.innerText(), /retries only the 1 person whose records failed/);
    await dialogButton(page, "Replay failed").click();
    await page.waitForURL((u) => /\/runs\/[0-9a-f-]+$/.test(u.pathname) && !partialRunUrl.endsWith(u.pathname));
    await page.getByText(new RegExp(`Run #${run.number + 1} is queued to retry the failed records of run #${run.number}\\.`)).waitFor();
    assert.equal(await waitForRunEnd(page), "done");
    const replay = await api("GET", `/runs/${page.url().split("/").pop()}`);
    assert.equal(replay.replay_of, runId);
    assert.equal(replay.records_errors, 0);
    const replayLines = page.locator("[data-testid=record-row]");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=record-row]").length === 1);
    assert.equal(await replayLines.getAttribute("data-outcome"), "created", "the refused person is created now");
    assert.match(await replayLines.innerText(), new RegExp(failedPerson.sourceId));
    assert.match(await page.locator(".deflist").innerText(), /of failed records/, "the type says it is a replay");
    const back = page.getByRole("link", { name: "the failed records of an earlier run" });
    assert.equal(await back.getAttribute("href"), `/runs/${runId}`);
    await shot(page, "ops-04-replay-done");
    await back.click();
    await page.waitForURL(partialRunUrl);
    // The router renders the new page in a transition: the replay's header may still be there just after the URL
    // changed, so read the status once the original's own header is shown.
    await page.getByRole("heading", { name: `Run #${run.number}`, exact: true }).waitFor();
    assert.equal(await runStatus(page).getAttribute("data-status"), "partial", "the original stays partial");
    assertClean(admin);
  });

  test("filters the logs by level and integration and marks an entry checked", async () => {
    const { page } = admin;
    await nav(page, "Logs").click();
    await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
    const rows = page.locator("[data-testid=log-row]");
    await rows.first().waitFor();

    // The other integration's entries, then only this one's.
    await page.getByTestId("logs-integration").selectOption({ label: names.other });
    await page.waitForURL(new RegExp(`integration=${ids.other}`));
    await page.waitForFunction((name) => {
      const r = [...document.querySelectorAll("[data-testid=log-row]")];
      return r.length === 1 && r[0].textContent.includes(name);
    }, names.other);
    assert.match(await rows.innerText(), /Integration date employees_updated_since changed by hand/);

    await page.getByTestId("logs-integration").selectOption({ label: names.integration });
    await page.waitForURL(new RegExp(`integration=${ids.integration}`));
    await page.getByTestId("logs-level").selectOption({ label: "Only error" });
    await page.waitForURL(/[?&]level=error/);
    await page.waitForFunction((name) => {
      const r = [...document.querySelectorAll("[data-testid=log-row]")];
      return r.length > 0 && r.every((x) => x.getAttribute("data-level") === "error" && x.textContent.includes(name));
    }, names.integration);
    const expected = await api("GET", `/logs?level=error&integration_id=${ids.integration}&limit=100`);
    assert.equal(await rows.count(), expected.items.length, "the rows are the API's entries for these filters");
    assert.ok(expected.items.every((e) => e.integration_id === ids.integration && e.level === "error"));
    const entry = rows.filter({ hasText: `${failedPerson.name}:` });
    assert.equal(await entry.count(), 1, "the refused record's error is logged");
    assert.match(await entry.innerText(), /400/);
    assert.equal(await entry.getAttribute("data-checked"), "false");
    await shot(page, "ops-05-logs-filtered");

    await entry.getByRole("button", { name: "Mark checked" }).click();
    await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=log-row]")].some((r) => r.getAttribute("data-checked") === "true"));
    assert.equal(await entry.getAttribute("data-checked"), "true");
    assert.match(await entry.innerText(), /✓[\s\S]*by you/);
    assert.equal(await entry.getByRole("button", { name: "Mark checked" }).count(), 0);

    // Kept by the hub: the Checked filter finds it after a reload.
    await page.getByLabel("Checked", { exact: true }).selectOption({ label: "Checked" });
    await page.waitForURL(/[?&]checked=true/);
    await page.reload();
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll("[data-testid=log-row]")];
      return r.length === 1 && r[0].getAttribute("data-checked") === "true";
    });
    assert.match(await rows.innerText(), new RegExp(`${failedPerson.name}:`));
    const checked = (await api("GET", `/logs?checked=true&limit=100`)).items;
    assert.equal(checked.length, 1);
    assert.ok(checked[0].checked_by && checked[0].checked_at);
    await shot(page, "ops-06-logs-checked");
    assertClean(admin);
  });

  test("webhook events wait in the queue, are processed now, fail with a reason and are re-activated", async () => {
    const { page } = admin;
    await page.goto(integrationUrl);
    await page.getByRole("button", { name: "Register with the source" }).click();
    const registered = page.locator(".alert-success").filter({ hasText: "Registered with the source" });
    await registered.waitFor();
    assert.match(await registered.innerText(), /employee\.updated/);
    const hooks = await hub.control("GET", "/webhooks/bamboohr");
    assert.equal(hooks.webhooks.length, 1, "one webhook registered in BambooHR");
    assert.ok(hooks.webhooks[0].url.startsWith(`${hub.base}/api/v1/hooks/${ids.integration}/`), hooks.webhooks[0].url);
    await shot(page, "ops-07-webhook-registered");

    const [a, b] = await peopleInTarget(2, new Set([failedPerson.sourceId]));
    const itemA = await changeAndAwaitQueueItem(a, `Queue tester ${RUN}`);
    assert.ok(Date.parse(itemA.execute_at) - Date.parse(itemA.received_at) >= 3500_000, "due after the hour's delay");

    await nav(page, "Queue").click();
    const rowA = page.locator(`[data-testid=queue-row][data-queue-id="${itemA.id}"]`);
    await rowA.waitFor();
    assert.equal(await rowA.getAttribute("data-status"), "pending");
    const textA = await rowA.innerText();
    assert.match(textA, new RegExp(`${itemA.event_type} · ${a.id}`), textA);
    assert.match(textA, /Pending/);
    assert.ok(textA.includes(names.integration), textA);
    await shot(page, "ops-08-queue-pending");

    // Process now hands the item to a worker and answers at once: the page says so, follows the item, and tells how
    // it ended once it is done.
    await rowA.getByRole("button", { name: /^Process now/ }).click();
    await page.locator(".alert-info").filter({ hasText: `The ${itemA.event_type} event of ${itemA.source_id} is being processed` }).waitFor();
    const processed = page.locator(".alert-success").filter({ hasText: "Processed: done." });
    await processed.waitFor({ timeout: 30_000 });
    assert.equal(await rowA.getAttribute("data-status"), "done");
    assert.equal(await rowA.getByRole("button", { name: /^Process now/ }).count(), 0);
    await processed.getByRole("link", { name: "See the run" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    assert.equal(await runStatus(page).getAttribute("data-status"), "done");
    assert.match(await page.locator(".deflist").innerText(), /Webhook/i, "a webhook run");
    const line = page.locator("[data-testid=record-row]");
    await line.first().waitFor();
    assert.equal(await line.count(), 1, "the one person synced");
    assert.equal(await line.getAttribute("data-outcome"), "updated");
    assert.match(await line.innerText(), new RegExp(`Queue tester ${RUN}`), "the new job title written");

    // The target refuses the next write: processing fails, and the item keeps the reason.
    const itemB = await changeAndAwaitQueueItem(b, `Refused tester ${RUN}`);
    await nav(page, "Queue").click();
    const rowB = page.locator(`[data-testid=queue-row][data-queue-id="${itemB.id}"]`);
    await rowB.waitFor();
    await hub.control("PUT", "/faults/scim", { scripted: [{ status: 400 }] });
    try {
      await rowB.getByRole("button", { name: /^Process now/ }).click();
      const notice = page.locator(".alert-warning").filter({ hasText: /Processing failed/ });
      await notice.waitFor({ timeout: 30_000 });
      // Its first failure: not "failed again".
      assert.match(await notice.innerText(), /^Processing failed: .*400/s);
    } finally {
      await hub.control("DELETE", "/faults/scim");
    }
    assert.equal(await rowB.getAttribute("data-status"), "failed");
    const reason = await rowB.locator(".cell-error .text-danger").innerText();
    assert.match(reason, /400/, `the reason: ${reason}`);
    assert.equal((await api("GET", `/queue/${itemB.id}`)).error, reason.trim());
    assert.match(await rowB.innerText(), /1 attempt\b/);
    await shot(page, "ops-09-queue-failed");

    await rowB.getByRole("button", { name: /^Re-activate/ }).click();
    await page.locator(".alert-success").filter({ hasText: "is pending again" }).waitFor();
    assert.ok(["pending", "processing", "done"].includes(await rowB.getAttribute("data-status")));
    assert.equal(await rowB.locator(".cell-error .text-danger").count(), 0, "the reason is cleared");
    // Due now: a processor takes it; the page follows the pending item until it is done.
    await page.waitForFunction((id) => document.querySelector(`[data-queue-id="${id}"]`)?.getAttribute("data-status") === "done", itemB.id, { timeout: 20_000 });
    const doneB = await api("GET", `/queue/${itemB.id}`);
    assert.equal(doneB.status, "done");
    assert.equal(doneB.attempts, 2);
    await shot(page, "ops-10-queue-reactivated-done");
    assertClean(admin);
  });

  test("edits an integration date after reading the warning", async () => {
    const { page } = admin;
    const dates = await api("GET", `/integrations/${ids.integration}/dates`);
    await page.goto(integrationUrl);
    const card = page.locator(".card").filter({ has: page.getByRole("heading", { name: "Integration dates" }) });
    await card.getByRole("button", { name: "Edit dates" }).click();
    const form = page.getByRole("form", { name: "Edit integration dates" });
    await form.waitFor();
    // The warning is on the form before anything is saved.
    const warning = form.locator(".alert-warning");
    assert.equal((await warning.innerText()).trim().replace(/\s+/g, " "), dates.warning.replace(/`/g, "").replace(/\s+/g, " "));
    const input = form.getByLabel(/^Employees updated since/);
    await input.fill("2025-01-02T03:04");
    await shot(page, "ops-11-dates-editing");
    await form.getByRole("button", { name: "Save dates" }).click();
    // And again in the confirmation, before the change is sent.
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Change the integration dates\?/);
    assert.ok((await dialog.innerText()).replace(/\s+/g, " ").includes(dates.warning.replace(/`/g, "").replace(/\s+/g, " ").slice(0, 40)));
    const before = (await api("GET", `/integrations/${ids.integration}/dates`)).items[0].value;
    assert.equal(before, dates.items[0].value, "nothing saved before confirming");
    await dialogButton(page, "Save dates").click();
    await card.getByText("Dates saved. The next run reads from them.").waitFor();
    const shown = await card.locator(".deflist").innerText();
    assert.match(shown, /Employees updated since/);
    assert.match(shown, /2 Jan 2025, 03:04 AEDT/, `the saved value in the organisation's zone: ${shown}`);
    const saved = (await api("GET", `/integrations/${ids.integration}/dates`)).items.find((d) => d.name === "employees_updated_since");
    assert.equal(Date.parse(saved.value), Date.parse("2025-01-01T16:04:00Z"), "03:04 in Sydney (AEDT, +11) is 16:04 UTC the day before");
    await page.reload();
    await card.getByText(/2 Jan 2025, 03:04 AEDT/).waitFor();
    await shot(page, "ops-12-dates-saved");
    assertClean(admin);
  });
});

describe("a support user on the operating screens", () => {
  let support;
  let pendingItem;
  let failedItem;
  before(async () => {
    // A failed queue item (the target refused the write) and a pending one, made as the admin.
    const [c, d] = await peopleInTarget(2, new Set([failedPerson.sourceId]));
    const item = await changeAndAwaitQueueItem(c, `Support failed ${RUN}`);
    await hub.control("PUT", "/faults/scim", { scripted: [{ status: 400 }] });
    try {
      // Process now answers before the item is processed: wait for it to end (the fault stays until it has).
      await api("POST", `/queue/${item.id}/process`);
      failedItem = await until(`the queue item ${item.id} processed`, async () => {
        const now = await api("GET", `/queue/${item.id}`);
        return ["done", "failed"].includes(now.status) && now;
      });
    } finally {
      await hub.control("DELETE", "/faults/scim");
    }
    assert.equal(failedItem.status, "failed");
    pendingItem = await changeAndAwaitQueueItem(d, `Support pending ${RUN}`);
    support = await newPage(browser, hub);
    await signIn(support.page, hub.base, hub.support);
  });

  test("cancels a run, may replay and check logs, but finds no queue or date controls", async () => {
    const { page } = support;
    const absent = async (what, locator) => assert.equal(await locator.count(), 0, `${what} is not offered to support`);

    // The integration's dates: shown, not editable.
    await page.goto(integrationUrl);
    await page.getByRole("heading", { name: names.integration }).waitFor();
    const card = page.locator(".card").filter({ has: page.getByRole("heading", { name: "Integration dates" }) });
    await card.getByText(/2 Jan 2025, 03:04 AEDT/).waitFor();
    await absent("Edit dates", page.getByRole("button", { name: "Edit dates" }));
    await absent("Register with the source", page.getByRole("button", { name: "Register with the source" }));
    assert.match(await card.innerText(), /Only admins can change integration dates\./);
    await shot(page, "ops-13-support-integration");

    // A run support starts can be cancelled by support: a change at the source and a slow target keep it going.
    const person = (await peopleInTarget(1, new Set([failedPerson.sourceId, failedItem.source_id, pendingItem.source_id])))[0];
    await hub.control("PATCH", `/people/${person.index}`, { job_title: `Support cancel ${RUN}` });
    await hub.control("PUT", "/faults/scim", { latency: 4000 });
    try {
      await runNowAndFollow(page);
      await page.getByRole("button", { name: "Cancel run" }).click();
      await dialogButton(page, "Cancel run").click();
      assert.equal(await waitForRunEnd(page), "cancelled");
    } finally {
      await hub.control("DELETE", "/faults/scim");
    }
    await shot(page, "ops-14-support-cancelled");

    // The partial run: Replay failed and Download CSV are there.
    await page.goto(partialRunUrl);
    assert.equal(await waitForRunEnd(page), "partial");
    assert.ok(await page.getByRole("button", { name: "Replay failed" }).isVisible(), "support may replay failed records");
    assert.ok(await page.getByRole("button", { name: "Download CSV" }).isVisible());
    await absent("the admins-only hint", page.getByText("Only admins can cancel, resume or replay runs."));

    // Logs: support marks entries checked.
    await page.goto(`${hub.base}/logs?integration=${ids.integration}&checked=false&level=warning`);
    const rows = page.locator("[data-testid=log-row]");
    await rows.first().waitFor();
    const first = rows.first();
    const message = (await first.locator('[id^="log-msg-"]').innerText()).trim();
    await first.getByRole("button", { name: "Mark checked" }).click();
    // Showing only unchecked entries: the checked one leaves the list.
    await page.waitForFunction((m) => ![...document.querySelectorAll('[data-testid=log-row] [id^="log-msg-"]')].some((c) => c.textContent.trim() === m), message);
    const checkedBySupport = (await api("GET", `/logs?checked=true&integration_id=${ids.integration}&limit=100`)).items;
    assert.ok(checkedBySupport.some((e) => e.message.replace(/`/g, "") === message && e.checked), `the entry is checked: ${message}`);
    await shot(page, "ops-15-support-logs");

    // Queue: items shown with their reason; no Process now, no Re-activate.
    await nav(page, "Queue").click();
    const failedRow = page.locator(`[data-testid=queue-row][data-queue-id="${failedItem.id}"]`);
    const pendingRow = page.locator(`[data-testid=queue-row][data-queue-id="${pendingItem.id}"]`);
    await failedRow.waitFor();
    await pendingRow.waitFor();
    assert.equal(await failedRow.getAttribute("data-status"), "failed");
    assert.equal(await pendingRow.getAttribute("data-status"), "pending");
    assert.match(await failedRow.locator(".cell-error").innerText(), /400/);
    for (const name of ["Process now", "Re-activate"]) await absent(name, page.getByRole("button", { name: new RegExp(`^${name}`) }));
    await page.getByText("Only admins can process or re-activate queue items.").waitFor();
    await shot(page, "ops-16-support-queue");
    assertClean(support);
  });
});
