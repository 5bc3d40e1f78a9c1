// The details of the first cut, in headless Chromium against a real hub and the real simulators (see hub.mjs):
// sign-in, connections (client and server validation, tests, settings and credentials, the OAuth connect flow
// refused then approved), integrations (validation and the API's 409s), paging, users, API keys, the session
// (one shared refresh, a refused refresh, sign out), the support user's read-only screens and a narrow screen.
//
// One hub for the file; each area signs in on a page of its own and ends by checking that the page logged no
// script error and sent nothing outside the hub and the simulators. Screenshots: target/e2e-screenshots/details-*.
//
//   npm run e2e                          (all e2e files)
//   node --test e2e/details.test.mjs     (this one; from web/)

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addScimConnection, alertText, field, launchBrowser, newPage, selectStarting, shot, signIn, startHub } from "./hub.mjs";

let hub;
let browser;
const RUN = Date.now().toString(36).slice(-5);

// Names shared between areas: later areas use what earlier ones made.
const names = {
  broken: `Broken ${RUN}`,
  lms: `LMS ${RUN}`,
  bamboo: `Bamboo ${RUN}`,
  eh: `EH ${RUN}`,
  integration: `Bamboo → LMS ${RUN}`,
};
let integrationUrl = "";

before(async () => {
  hub = await startHub();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** A fresh page for one area, signed in as `user` unless null; closed after the area. */
function area(user) {
  const ctx = {};
  before(async () => {
    Object.assign(ctx, await newPage(browser, hub));
    if (user) await signIn(ctx.page, hub.base, hub[user]);
  });
  after(async () => {
    await ctx.context?.close();
  });
  return ctx;
}

/** The closing check of every area: the page logged no script error and nothing left the hub and simulators. */
function cleanLog(ctx) {
  it("logged no script error and sent nothing outside the hub and the simulators", () => {
    assert.deepEqual(ctx.log.errors, []);
    assert.deepEqual(ctx.log.external, []);
  });
}

const refreshes = (log) => log.requests.filter((r) => r === "POST /api/v1/auth/refresh").length;

/** A bearer token for the admin, for setting things up through the API. */
async function adminHeaders() {
  const login = await fetch(`${hub.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: hub.admin.email, password: hub.admin.password }),
  });
  assert.equal(login.status, 200);
  const { access_token } = await login.json();
  return { authorization: `Bearer ${access_token}`, "content-type": "application/json" };
}

describe("sign-in", () => {
  const A = area(null);

  it("sends an unauthenticated deep link to sign-in with next=", async () => {
    await A.page.goto(`${hub.base}/connections`);
    await A.page.waitForURL(/\/signin\?next=%2Fconnections/);
  });

  it("stops an empty sign-in client-side with two field errors", async () => {
    await A.page.getByRole("button", { name: "Sign in" }).click();
    assert.equal(await A.page.locator(".field-error").count(), 2);
  });

  it("shows the problem detail for a wrong password", async () => {
    const { page } = A;
    await page.getByLabel("Email").fill(hub.admin.email);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector('[role="alert"]');
    assert.match(await alertText(page), /email or password is wrong/);
    await shot(page, "details-01-signin-error");
  });

  it("moves from email to password with Tab, submits with Enter and lands on the requested page", async () => {
    const { page } = A;
    await page.getByLabel("Email").focus();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "f-password");
    await page.getByLabel("Password").fill(hub.admin.password);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${hub.base}/connections`);
  });

  it("shows the overview", async () => {
    const { page } = A;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await page.waitForSelector(".stats");
    assert.ok(await page.getByRole("heading", { name: "Overview" }).isVisible());
    await shot(page, "details-02-overview-admin");
  });

  cleanLog(A);
});

describe("connections", () => {
  const A = area("admin");

  it("checks required fields client-side and a bad URL server-side, keeping the typed secret", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/connections/new`);
    await page.getByText("SCIM 2.0").click();
    await field(page, "Name").fill("");
    await page.getByRole("button", { name: "Create connection" }).click();
    const errs = await page.locator(".field-error").allInnerTexts();
    assert.ok(errs.length >= 3, `empty required fields flagged client-side (${errs.join("; ")})`);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("name")), "name", "focus moves to the first invalid field");
    assert.equal(await page.locator("input[type=password][name='credentials.token']").count(), 1, "credentials render as password inputs");

    await field(page, "Name").fill(names.broken);
    await page.getByLabel("Base URL").fill("not-a-url");
    await page.getByLabel("Token").fill("secret-token");
    await page.getByRole("button", { name: "Create connection" }).click();
    await page.waitForSelector("#f-settings-base_url-error");
    assert.match(await page.locator("#f-settings-base_url-error").innerText(), /absolute http/, "server error on settings.base_url next to the field");
    assert.equal(await page.getByLabel("Token").inputValue(), "secret-token", "typed secret kept after a failed submit");
    await shot(page, "details-03-connection-validation");
  });

  it("creates a connection to an unreachable target whose test ends in error", async () => {
    const { page } = A;
    await page.getByLabel("Base URL").fill("http://127.0.0.1:9/scim/v2");
    await page.getByRole("button", { name: "Create connection" }).click();
    await page.waitForURL(/\/connections\/[0-9a-f-]+$/);
    assert.match(await page.locator('[role="status"]').first().innerText(), /created/);
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.waitForSelector(".alert-warning");
    assert.match(await page.locator(".alert-warning").innerText(), /could not connect/, "failed test shows last_error as a warning");
    assert.ok((await page.locator(".badge-danger").count()) > 0, "status badge turns to Error");
    await shot(page, "details-04-connection-error");
  });

  it("connects to the SCIM simulator", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/connections/new`);
    await addScimConnection(page, hub, names.lms);
  });

  it("connects to the BambooHR simulator, overriding the schema's default base URL", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/connections/new`);
    await page.getByText("BambooHR").click();
    assert.equal(await page.getByLabel("API base URL").inputValue(), "https://api.bamboohr.com/api/gateway.php", "schema default pre-filled");
    await shot(page, "details-05-connection-new-bamboohr");
    await field(page, "Name").fill(names.bamboo);
    await page.getByLabel("Company domain").fill(hub.sims.bamboohr.company_domain);
    await page.getByLabel("API base URL").fill(hub.sims.bamboohr.api_base_url);
    await field(page, "API key").fill(hub.sims.bamboohr.api_key);
    await page.getByRole("button", { name: "Create connection" }).click();
    await page.waitForURL(/\/connections\/[0-9a-f-]+$/);
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.waitForSelector(".alert-success:has-text('Test passed')");
    assert.match(await page.locator(".alert-success").innerText(), /connected/);
    await shot(page, "details-06-connection-detail");
  });

  it("saves edited settings; a company BambooHR does not know fails the test, the right one passes again", async () => {
    const { page } = A;
    await page.getByLabel("Company domain").fill(`${hub.sims.bamboohr.company_domain}2`);
    await page.getByRole("button", { name: "Save settings" }).click();
    // The test's notice from before may still be showing: wait for the new one by its words.
    await page.waitForSelector(".alert-success:has-text('Settings saved')");
    assert.equal(await page.getByLabel("Company domain").inputValue(), `${hub.sims.bamboohr.company_domain}2`, "form shows the saved value");
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.waitForSelector(".alert-warning:has-text('BambooHR answered')");
    assert.match(await page.locator(".alert-warning").innerText(), /BambooHR answered 404/, "the simulator's answer for an unknown company");

    await page.getByLabel("Company domain").fill(hub.sims.bamboohr.company_domain);
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.waitForSelector("text=Settings saved");
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.waitForSelector("text=Test passed");
  });

  it("replaces credentials: empty is stopped, a wrong key fails the test, the right one passes", async () => {
    const { page } = A;
    await page.getByRole("button", { name: "Replace credentials" }).click();
    assert.equal(await page.locator("#f-credentials-api_key-error").count(), 1, "empty credentials stopped client-side");
    await field(page, "API key").fill("new-key");
    await page.getByRole("button", { name: "Replace credentials" }).click();
    await page.waitForSelector("text=Credentials replaced");
    assert.equal(await field(page, "API key").inputValue(), "", "credential inputs cleared after saving");
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.waitForSelector(".alert-warning:has-text('BambooHR answered')");
    assert.match(await page.locator(".alert-warning").innerText(), /BambooHR answered 401/, "the simulator refuses the wrong key");

    await field(page, "API key").fill(hub.sims.bamboohr.api_key);
    await page.getByRole("button", { name: "Replace credentials" }).click();
    await page.waitForSelector("text=Credentials replaced");
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.waitForSelector("text=Test passed");
  });

  it("creates an Employment Hero connection, connects (refused, then approved) with notices", async () => {
    const { page, log } = A;
    const eh = hub.sims.employment_hero;
    await page.goto(`${hub.base}/connections/new`);
    await page.getByText("Employment Hero").click();
    assert.equal(await field(page, "Access token").count(), 0, "readOnly token fields not asked");
    assert.equal(await field(page, "Refresh token").count(), 0, "readOnly token fields not asked");
    await field(page, "Name").fill(names.eh);
    await field(page, "Authorize URL").fill(eh.authorize_url);
    await field(page, "Token URL").fill(eh.token_url);
    await field(page, "API base URL").fill(eh.api_base_url);
    await field(page, "Client ID").fill(eh.client_id);
    await field(page, "Client secret").fill(eh.client_secret);
    await page.getByRole("button", { name: "Create connection" }).click();
    await page.waitForURL(/\/connections\/[0-9a-f-]+$/);
    const path = new URL(page.url()).pathname;
    await page.waitForSelector(".card-callout");
    assert.match(await page.locator(".alert-success").innerText(), /Next, connect it/, "created notice leads to connecting");
    await shot(page, "details-07a-oauth-next-step");

    const connectAndReturn = async () => {
      const before = log.requests.length;
      await page.getByRole("button", { name: "Connect to Employment Hero" }).click();
      await page.waitForURL(/[?&]oauth=(connected|error)&connection=/);
      await page.waitForSelector(".alert-success, .alert-error");
      assert.ok(log.requests.slice(before).includes(`POST /api/v1${path}/connect`), "connect endpoint called, browser sent back with oauth=…");
      assert.ok(log.requests.slice(before).includes("GET /oauth2/authorize"), "the browser went through the simulator's authorize page");
    };

    await hub.control("PUT", "/oauth/employment-hero", { refuse_next: true });
    await connectAndReturn();
    const refused = await page.locator(".alert-error").innerText();
    assert.match(refused, /^Connecting failed: .*access_denied/, "refusal shown with last_error");
    assert.equal(new URL(page.url()).pathname, path);
    assert.equal(new URL(page.url()).search, "", "oauth parameters removed from the address");
    await shot(page, "details-07b-oauth-refused");

    await connectAndReturn();
    assert.match(await page.locator(".alert-success").innerText(), /Connected to Employment Hero/, "approval shown as connected");
    assert.ok(await page.getByRole("button", { name: "Reconnect" }).isVisible(), "Reconnect offered once connected");
    await shot(page, "details-07c-oauth-connected");
    await page.reload();
    await page.waitForSelector(".deflist");
    assert.equal(await page.locator(".alert-success, .alert-error").count(), 0, "a reload does not repeat the notice");
  });

  it("lists connections with times in the organisation's timezone and tests one from the list", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/connections`);
    await page.waitForSelector("table");
    const cell = await page.locator("time").first().innerText();
    assert.match(cell, /AE[DS]T/, `checked_at shown in Australia/Sydney (${cell})`);
    await page.getByRole("button", { name: `Test connection ${names.broken}` }).click();
    await page.waitForSelector(".alert-warning");
    assert.match(await page.locator(".alert-warning").innerText(), /could not connect/, "test from the list reports the error");
    await shot(page, "details-08-connections-list");
  });

  cleanLog(A);
});

describe("integrations", () => {
  const A = area("admin");

  it("checks the form client-side and creates an inactive integration", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/integrations/new`);
    await page.waitForSelector("form");
    await page.getByRole("button", { name: "Create integration" }).click();
    const errs = await page.locator(".field-error").allInnerTexts();
    assert.equal(errs.length, 3, `name, source and target required client-side (${errs.join("; ")})`);
    await field(page, "Name").fill(names.integration);
    await selectStarting(field(page, "Source (HR system)"), names.bamboo);
    await selectStarting(field(page, "Target"), names.lms);
    await page.getByLabel("Job title").check();
    await page.getByLabel("From the person's start date").check();
    await page.getByLabel("Error notification email").fill("not-an-email");
    await page.getByRole("button", { name: "Create integration" }).click();
    assert.match(await page.locator("#f-settings-error_notification_email-error").innerText(), /not a valid email/);
    await page.getByLabel("Error notification email").fill("hr-systems@example.com");
    await shot(page, "details-09-integration-new");
    await page.getByRole("button", { name: "Create integration" }).click();
    await page.waitForURL(/\/integrations\/[0-9a-f-]+$/);
    integrationUrl = page.url();
    assert.equal((await page.locator(".page-header .badge").innerText()).trim(), "Inactive");
    assert.ok(await page.getByLabel("Job title").isChecked(), "settings saved (mandatory job title)");
  });

  it("enables, refuses deletion while enabled (409), renames, disables", async () => {
    const { page } = A;
    await page.getByRole("button", { name: "Enable" }).click();
    await page.waitForSelector(".alert-success:has-text('mode')");
    assert.match(await page.locator(".alert-success").innerText(), /now in Active mode/, "enable shows the new state");
    assert.ok(await field(page, "Source (HR system)").isDisabled(), "connections locked while enabled");
    await shot(page, "details-10-integration-enabled");

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete integration" }).click();
    await page.waitForSelector('[role="alert"]');
    const e = await alertText(page);
    assert.match(e, /Conflict/);
    assert.match(e, /disable/i, `the 409's detail says what to do (${e})`);
    await shot(page, "details-11-integration-delete-409");

    await field(page, "Name").fill(`${names.integration} (renamed)`);
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForSelector("text=Changes saved.");
    assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /renamed/);

    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Disable" }).click();
    await page.waitForSelector("text=Disabled:");
    assert.ok(await page.getByRole("button", { name: "Enable" }).isVisible(), "disabled again");
  });

  it("refuses to enable with a connection in error (409) and to delete a connection in use (409)", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/integrations/new`);
    await page.waitForSelector("form");
    await field(page, "Name").fill(`Broken pair ${RUN}`);
    await selectStarting(field(page, "Source (HR system)"), names.bamboo);
    await selectStarting(field(page, "Target"), names.broken);
    await page.getByRole("button", { name: "Create integration" }).click();
    await page.waitForURL(/\/integrations\/[0-9a-f-]+$/);
    await page.getByRole("button", { name: "Enable" }).click();
    await page.waitForSelector('[role="alert"]');
    assert.match(await alertText(page), /must be connected|connected before enabling/);
    await shot(page, "details-12-integration-enable-409");

    await page.getByRole("link", { name: names.broken }).first().click();
    await page.waitForURL(/\/connections\//);
    await page.getByRole("button", { name: "Delete" }).click();
    await shot(page, "details-13-confirm-dialog");
    await page.getByRole("dialog").getByRole("button", { name: "Delete connection" }).click();
    await page.waitForSelector('[role="alert"]');
    assert.match(await alertText(page), /used by integration/);
  });

  it("keeps the route and the session over a reload", async () => {
    const { page } = A;
    await page.goto(integrationUrl);
    await page.waitForSelector("h1");
    await page.reload();
    await page.waitForSelector(".deflist");
    assert.equal(page.url(), integrationUrl, "deep link survives reload");
    await page.goto(`${hub.base}/integrations`);
    await page.waitForSelector("table");
    assert.equal(await page.getByRole("link", { name: /^Bamboo → LMS .* \(renamed\)$/ }).count(), 1);
    await shot(page, "details-14-integrations-list");
  });

  cleanLog(A);
});

describe("paging", () => {
  const A = area("admin");

  it("shows 25 connections, then appends the next page with Load more", async () => {
    const { page } = A;
    const headers = await adminHeaders();
    const first = await (await fetch(`${hub.base}/api/v1/connections?limit=200`, { headers })).json();
    assert.equal(first.next_cursor ?? null, null, "fewer than 200 connections so far");
    const total = 27;
    for (let n = first.items.length; n < total; n++) {
      const res = await fetch(`${hub.base}/api/v1/connections`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: `Paging ${n} ${RUN}`, connector: "scim", settings: { base_url: "https://lms.example.com/scim/v2" }, credentials: { token: "x" } }),
      });
      assert.equal(res.status, 201);
    }
    await page.goto(`${hub.base}/connections`);
    await page.waitForSelector("table");
    const rows = await page.locator("tbody tr").count();
    assert.equal(rows, 25, "first page has 25 rows");
    await page.getByRole("button", { name: "Load more" }).click();
    await page.waitForFunction((n) => document.querySelectorAll("tbody tr").length > n, rows);
    assert.equal(await page.locator("tbody tr").count(), total, "Load more appends the rest");
    assert.equal(await page.getByRole("button", { name: "Load more" }).count(), 0, "no Load more after the last page");
    await shot(page, "details-15-connections-load-more");
  });

  cleanLog(A);
});

describe("users", () => {
  const A = area("admin");
  const grace = { name: `Grace ${RUN}`, email: `grace.${RUN}@example.com` };

  it("stops a short password client-side and shows a taken email (409) next to the field", async () => {
    const { page } = A;
    await page.goto(`${hub.base}/settings/users`);
    await page.waitForSelector("table");
    await page.getByRole("button", { name: "Add user" }).click();
    await page.getByLabel("Email").fill(grace.email);
    await page.getByLabel("Initial password").fill("short");
    await page.getByRole("button", { name: "Add user" }).click();
    assert.match(await page.locator("#f-password-error").innerText(), /at least 10/);
    await page.getByLabel("Email").fill(hub.support.email);
    await page.getByLabel("Initial password").fill("a long enough password");
    await page.getByRole("button", { name: "Add user" }).click();
    await page.waitForSelector("#f-email-error");
    assert.match(await page.locator("#f-email-error").innerText(), /already a user of this organisation/);
    await shot(page, "details-16-users-email-taken");
  });

  it("creates a user, changes the role, deactivates", async () => {
    const { page } = A;
    await page.getByLabel("Email").fill(grace.email);
    await page.getByLabel("Name (optional)").fill(grace.name);
    await page.getByRole("button", { name: "Add user" }).click();
    await page.waitForSelector(`text=${grace.name} (${grace.email}) can now sign in`);
    await page.getByLabel(`Role of ${grace.name}`).selectOption("admin");
    await page.getByRole("dialog").getByRole("button", { name: /Change role/ }).click();
    await page.waitForSelector(`text=${grace.name} is now admin.`);
    await page.getByRole("button", { name: `Deactivate ${grace.name}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Deactivate" }).click();
    await page.waitForSelector(`text=${grace.name} is deactivated.`);
    assert.ok(await page.getByRole("button", { name: `Reactivate ${grace.name}` }).isVisible());
    await shot(page, "details-17-users");
    const login = await fetch(`${hub.base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: grace.email, password: "a long enough password" }),
    });
    assert.equal(login.status, 401, "a deactivated user cannot sign in");
  });

  cleanLog(A);
});

describe("API keys", () => {
  const A = area("admin");

  it("shows a new key's secret once, copies it, and the key works until revoked", async () => {
    const { page, context } = A;
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: hub.base });
    await page.goto(`${hub.base}/settings/api-keys`);
    await page.waitForSelector("h1");
    await page.getByRole("button", { name: "Create API key" }).click();
    await field(page, "Name").fill(`export ${RUN}`);
    await page.getByRole("button", { name: "Create key" }).click();
    await page.waitForSelector("#new-secret");
    const secret = await page.locator("#new-secret").inputValue();
    assert.match(secret, /^ihub_/);
    await page.getByRole("button", { name: "Copy key" }).click();
    await page.waitForSelector("text=Copied ✓");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, "copy puts the secret on the clipboard");
    await shot(page, "details-18-api-key-secret");
    await page.getByRole("button", { name: "I have stored the key" }).click();
    assert.equal(await page.locator("#new-secret").count(), 0, "secret gone after dismissing");

    const me = () => fetch(`${hub.base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal((await me()).status, 200, "the new key works against the API");
    await page.getByRole("button", { name: `Revoke export ${RUN}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await page.waitForSelector(`text=Key “export ${RUN}” revoked.`);
    assert.equal((await me()).status, 401, "the revoked key is refused");
    await shot(page, "details-19-api-keys");
  });

  cleanLog(A);
});

describe("session", () => {
  const A = area("admin");

  it("renews an expired access token with one shared refresh for parallel requests", async () => {
    const { page, log } = A;
    await page.goto(`${hub.base}/connections`);
    await page.waitForSelector("table");
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem("ihub.session"));
      s.accessToken = "expired.or.garbage";
      localStorage.setItem("ihub.session", JSON.stringify(s));
    });
    const before = refreshes(log);
    const firstRequest = log.requests.length;
    // The overview asks several things at once.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
    await page.waitForSelector(".stats");
    const apiCalls = log.requests.slice(firstRequest).filter((r) => r.startsWith("GET /api/v1/"));
    assert.ok(new Set(apiCalls).size >= 2, `the overview asked several things (${apiCalls.join(", ")})`);
    assert.equal(refreshes(log) - before, 1, "exactly one refresh for the parallel 401s");
    assert.equal(await alertText(page), "", "no error shown after a transparent refresh");
  });

  it("goes back to sign-in with a notice when the refresh is refused", async () => {
    const { page } = A;
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem("ihub.session"));
      s.accessToken = "garbage";
      s.refreshToken = "garbage";
      localStorage.setItem("ihub.session", JSON.stringify(s));
    });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
    await page.waitForURL(/\/signin/);
    assert.match(await page.locator(".alert-info").innerText(), /session has ended/);
    await shot(page, "details-20-session-ended");
  });

  it("signs out: the session is removed and the hub told", async () => {
    const { page, log } = A;
    await signIn(page, hub.base, hub.admin);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    assert.equal(await page.evaluate(() => localStorage.getItem("ihub.session")), null, "session removed");
    assert.ok(log.requests.includes("POST /api/v1/auth/logout"), "POST /auth/logout sent");
  });

  cleanLog(A);
});

describe("support user", () => {
  const S = area("support");

  it("has no New integration on the overview", async () => {
    const { page } = S;
    await page.goto(`${hub.base}/`);
    await page.waitForSelector(".stats");
    assert.equal(await page.getByRole("link", { name: "New integration" }).count(), 0);
    await shot(page, "details-21-overview-support");
  });

  it("sees connections read-only: no Add, Test, Connect or Delete", async () => {
    const { page } = S;
    await page.goto(`${hub.base}/connections`);
    await page.waitForSelector("table");
    assert.ok((await page.locator("tbody tr").count()) > 0, "connections are listed");
    assert.equal(await page.getByRole("link", { name: "Add connection" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /^Test connection/ }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /^(Connect|Reconnect)\b/ }).count(), 0);
    await page.locator("table a").first().click();
    await page.waitForSelector(".deflist");
    assert.ok(await field(page, "Name").isDisabled(), "connection settings read-only");
    assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0);
    await shot(page, "details-22-connection-support");
  });

  it("has no Enable or Disable on an integration", async () => {
    const { page } = S;
    await page.goto(integrationUrl);
    await page.waitForSelector(".deflist");
    assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /renamed/);
    assert.equal(await page.getByRole("button", { name: /Enable|Disable/ }).count(), 0);
  });

  it("is shown the users page's 403 in words", async () => {
    const { page } = S;
    await page.goto(`${hub.base}/settings/users`);
    await page.waitForSelector('[role="alert"]');
    const t = await alertText(page);
    assert.match(t, /Not allowed/);
    assert.match(t, /admin role/);
    await shot(page, "details-23-users-support-403");
  });

  it("gets the create-connection form disabled", async () => {
    const { page } = S;
    await page.goto(`${hub.base}/connections/new`);
    await page.getByText("SCIM 2.0").click();
    assert.ok(await page.getByRole("button", { name: "Create connection" }).isDisabled());
  });

  cleanLog(S);
});

describe("narrow screen", () => {
  const S = area("support");

  it("fits the connections list in 420px and opens the menu", async () => {
    const { page } = S;
    await page.setViewportSize({ width: 420, height: 860 });
    await page.goto(`${hub.base}/connections`);
    await page.waitForSelector("table");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling of the page");
    const menu = page.getByRole("button", { name: "Menu" });
    const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" });
    assert.equal(await menu.getAttribute("aria-expanded"), "false");
    assert.ok(!(await nav.isVisible()), "the navigation is folded away");
    await shot(page, "details-24-mobile-connections");
    await menu.click();
    assert.equal(await menu.getAttribute("aria-expanded"), "true");
    await nav.waitFor({ state: "visible" });
    await shot(page, "details-25-mobile-menu");
    await nav.click();
    await page.waitForURL(`${hub.base}/integrations`);
  });

  cleanLog(S);
});
