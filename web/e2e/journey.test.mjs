// The administrator's whole journey in a real browser, as the issue lists it: sign in, add both connections and
// connect the OAuth one (the Employment Hero simulator approves at once), create an integration, enable it,
// create a schedule, run now and watch the run finish without reloading, open its report and a record line,
// cancel the schedule; then a support user finds the admin-only controls absent. Each main screen is saved as a
// screenshot (target/e2e-screenshots/journey-*.png).
//
//   cargo build -p ihub --bin ihub -p ihub-simulators --bin ihub-sim && npm --prefix web run build
//   npm --prefix web run e2e

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addScimConnection, field, launchBrowser, newPage, selectStarting, shot, signIn, startHub } from "./hub.mjs";

const PEOPLE = 25;
let hub;
let browser;
let admin; // { page, context, log }

// Shared by the steps, which run in order.
const names = {
  source: "Employment Hero (simulator)",
  target: "Learning platform (SCIM)",
  integration: "Employment Hero → Learning platform",
};
let integrationUrl = "";
let firstRunUrl = "";

before(async () => {
  hub = await startHub({ people: PEOPLE });
  browser = await launchBrowser();
  admin = await newPage(browser, hub);
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** Nothing went wrong in the page that the user would not see: no uncaught errors, no request outside loopback. */
function assertClean({ log }) {
  assert.deepEqual(log.errors, [], "errors in the browser console");
  assert.deepEqual(log.external, [], "requests leaving the hub and the simulators");
}

const nav = (page, name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

/** Waits for the run page to show an ended status: the page polls while the run moves, the test never reloads. */
async function waitForRunEnd(page) {
  const status = page.locator("header [data-testid=run-status]");
  await page.waitForFunction(
    () => {
      const el = document.querySelector("header [data-testid=run-status]");
      return el && ["done", "partial", "failed", "cancelled"].includes(el.getAttribute("data-status") ?? "");
    },
    undefined,
    { timeout: 60_000 },
  );
  return status.getAttribute("data-status");
}

describe("an administrator", () => {
  test("signs in", async () => {
    const { page } = admin;
    await page.goto(`${hub.base}/`);
    await page.waitForURL(/\/signin$/);
    await shot(page, "journey-01-signin");
    await signIn(page, hub.base, hub.admin);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await shot(page, "journey-02-overview-empty");
    assertClean(admin);
  });

  test("adds the SCIM target and tests it", async () => {
    const { page } = admin;
    await nav(page, "Connections").click();
    await page.getByRole("link", { name: "Add connection" }).first().click();
    await addScimConnection(page, hub, names.target);
    assertClean(admin);
  });

  test("adds Employment Hero and connects it through OAuth", async () => {
    const { page, log } = admin;
    const eh = hub.sims.employment_hero;
    await page.goto(`${hub.base}/connections/new`);
    await page.getByText("Employment Hero").click();
    await field(page, "Name").fill(names.source);
    await field(page, "Organisation ID").fill(eh.organisation_id);
    await field(page, "API base URL").fill(eh.api_base_url);
    await field(page, "Authorize URL").fill(eh.authorize_url);
    await field(page, "Token URL").fill(eh.token_url);
    await field(page, "Client ID").fill(eh.client_id);
    await field(page, "Client secret").fill(eh.client_secret);
    await shot(page, "journey-03-connection-new");
    await page.getByRole("button", { name: "Create connection" }).click();
    await page.waitForURL(/\/connections\/[0-9a-f-]+$/);
    const detail = new URL(page.url()).pathname;

    const before = log.requests.length;
    await page.getByRole("button", { name: "Connect to Employment Hero" }).click();
    // The browser leaves for the simulator's authorize page, which approves and sends it to the hub's callback,
    // which sends it back here.
    await page.waitForURL(/[?&]oauth=connected&connection=/);
    const went = log.requests.slice(before);
    assert.ok(went.includes("GET /oauth2/authorize"), `the browser visited the provider's authorize page: ${went.join(", ")}`);
    await page.locator(".alert-success").filter({ hasText: "Connected to Employment Hero" }).waitFor();
    await page.waitForURL((u) => u.pathname === detail && u.search === "");
    assert.ok(await page.getByRole("button", { name: "Reconnect" }).isVisible(), "Reconnect offered once connected");
    await shot(page, "journey-04-connection-connected");

    await nav(page, "Connections").click();
    const rows = page.locator("tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    for (const name of [names.source, names.target]) {
      const row = rows.filter({ hasText: name });
      assert.match(await row.innerText(), /Connected/, `${name} is connected`);
    }
    await shot(page, "journey-05-connections");
    assertClean(admin);
  });

  test("creates the integration and enables it", async () => {
    const { page } = admin;
    await nav(page, "Integrations").click();
    await page.getByRole("link", { name: "New integration" }).first().click();
    await page.waitForSelector("form");
    await field(page, "Name").fill(names.integration);
    await selectStarting(field(page, "Source (HR system)"), names.source);
    await selectStarting(field(page, "Target"), names.target);
    await page.getByRole("button", { name: "Create integration" }).click();
    await page.waitForURL(/\/integrations\/[0-9a-f-]+$/);
    integrationUrl = page.url();
    assert.equal((await page.locator(".page-header .badge").innerText()).trim(), "Inactive");

    await page.getByRole("button", { name: "Enable" }).click();
    const notice = await page.locator(".alert-success").filter({ hasText: "Enabled" }).innerText();
    assert.match(notice, /now in Active mode/, "a production hub enables into Active");
    assert.equal((await page.locator(".page-header .badge").innerText()).trim(), "Active");
    // The webhook URL the source should call is shown with the integration.
    const hook = await page.getByTestId("webhook-url").inputValue();
    assert.match(hook, /\/api\/v1\/hooks\/[0-9a-f-]+\/[^/]+$/);
    assert.ok(hook.includes(hub.base), `webhook URL on the hub's public address (${hook})`);
    await shot(page, "journey-06-integration-active");

    await nav(page, "Integrations").click();
    await page.locator("tbody tr").filter({ hasText: names.integration }).waitFor();
    await shot(page, "journey-07-integrations");
    assertClean(admin);
  });

  test("creates a schedule on the Jobs page and edits it", async () => {
    const { page } = admin;
    await nav(page, "Jobs").click();
    await page.getByRole("button", { name: "New schedule" }).click();
    const form = page.getByRole("form", { name: "New schedule" });
    await selectStarting(form.getByLabel(/^Integration/), names.integration);
    // A bad expression is caught before sending, next to its field.
    await form.getByLabel(/^Cron expression/).fill("61 2 * * *");
    await form.getByRole("button", { name: "Create schedule" }).click();
    assert.ok(await page.locator("#f-cron-error").isVisible(), "a wrong minute is flagged at the field");
    await form.getByLabel(/^Cron expression/).fill("30 2 * * *");
    await form.getByLabel(/^Time zone/).fill("Australia/Sydney");
    await form.getByRole("button", { name: "Create schedule" }).click();
    await page.getByText(`Schedule created for “${names.integration}”.`).waitFor();
    const row = page.locator("[data-testid=schedule-row]");
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute("data-active"), "true");
    const text = await row.innerText();
    assert.match(text, /30 2 \* \* \*/);
    assert.match(text, /02:30/, `next run at 02:30 local (${text})`);
    assert.match(text, /AE[DS]T/, "times in the organisation's zone");
    await shot(page, "journey-08-jobs");

    // Edited from its row menu: the next run moves with the new time.
    await page.getByRole("button", { name: /^Actions for the schedule/ }).click();
    await page.getByRole("button", { name: "Edit schedule" }).click();
    const edit = page.getByRole("form", { name: "Edit schedule" });
    await edit.getByLabel(/^Cron expression/).fill("45 2 * * *");
    await edit.getByRole("button", { name: "Save schedule" }).click();
    await page.getByText("Schedule saved.").waitFor();
    await row.filter({ hasText: "45 2 * * *" }).waitFor();
    assert.match(await row.innerText(), /02:45 AE[DS]T/, "the next run follows the edit");
    assertClean(admin);
  });

  test("runs now from the schedule's menu and watches the run finish", async () => {
    const { page } = admin;
    await page.getByRole("button", { name: /^Actions for the schedule/ }).click();
    await page.getByRole("button", { name: "Run now" }).click();
    await page.getByRole("link", { name: "Follow it in its report" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    firstRunUrl = page.url();
    assert.equal(await waitForRunEnd(page), "done");
    const counts = await page.locator("[data-testid=run-counts]").innerText();
    assert.match(counts, new RegExp(`${PEOPLE} read`), counts);
    const created = page.locator("[data-testid=record-row][data-decision=create][data-outcome=created]");
    await created.first().waitFor();
    assert.ok((await created.count()) > 0, "people were created in the target");
    await shot(page, "journey-09-run-done");
    assertClean(admin);
  });

  test("opens the report and a record line", async () => {
    const { page } = admin;
    await nav(page, "Reports").click();
    await selectStarting(page.getByTestId("reports-integration"), names.integration);
    const row = page.locator("[data-testid=run-row]").first();
    await row.waitFor();
    assert.equal(await row.getAttribute("data-status"), "done");
    const text = await row.innerText();
    assert.match(text, /COMPLETE/i, text);
    assert.match(text, /Manual/i, `the run's type (${text})`);
    assert.match(text, /AE[DS]T/, `start and end in the organisation's zone (${text})`);
    await shot(page, "journey-10-reports");

    await row.getByRole("link", { name: "Run 1" }).click();
    await page.waitForURL(firstRunUrl);
    // Only the people created, then one person's line: every field set from empty.
    await page.getByLabel("Decision").selectOption({ label: "Create" });
    await page.waitForURL(/decision=create/);
    const lines = page.locator("[data-testid=record-row]");
    // The lines are fetched again with the filter.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("[data-testid=record-row]")];
      return rows.length > 0 && rows.every((r) => r.getAttribute("data-decision") === "create");
    });
    const line = lines.first();
    const person = (await line.locator("td").first().innerText()).split("\n")[0];
    const more = line.getByText(/\d+ more fields/);
    if (await more.count()) await more.click();
    const changes = await line.locator(".changes li").allInnerTexts();
    assert.ok(changes.some((c) => /^Email\b.*empty.*→.*@/s.test(c)), `the email set from empty: ${changes.join(" | ")}`);
    assert.ok(person.length > 0, "the line names the person");
    await shot(page, "journey-11-run-records");
    assertClean(admin);
  });

  test("a change at the source shows as old → new on the next run", async () => {
    const { page } = admin;
    const person = await hub.control("GET", "/people/0");
    await hub.control("PATCH", "/people/0", { job_title: "Chief Integration Officer" });
    await page.goto(integrationUrl);
    await page.getByRole("button", { name: "Run now" }).first().click();
    await page.getByRole("link", { name: "Follow it in its report" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    assert.equal(await waitForRunEnd(page), "done");
    const updated = page.locator("[data-testid=record-row][data-decision=update]");
    // The page fetches the lines once more when it sees the run ended.
    await updated.first().waitFor();
    assert.match(await page.locator("[data-testid=run-counts]").innerText(), /\b1 written\b/);
    assert.equal(await updated.count(), 1, "only the changed person is written");
    const change = await updated.locator(".changes li").allInnerTexts();
    assert.ok(
      change.some((c) => c.includes("Chief Integration Officer") && (!person.job_title || c.includes(person.job_title))),
      `job title old → new: ${change.join(" | ")} (was ${JSON.stringify(person.job_title)})`,
    );
    assertClean(admin);
  });

  test("sees the other screens", async () => {
    const { page } = admin;
    await nav(page, "Overview").click();
    const tile = page.locator("[data-testid=integration-tile]").filter({ hasText: names.integration });
    // The tile fills in its last and next run after the integrations are listed.
    await tile.filter({ hasText: /COMPLETE/ }).filter({ hasText: "45 2 * * *" }).waitFor();
    const tileText = await tile.innerText();
    assert.match(tileText, /Last run\s+COMPLETE\s+Run #2/, `last run on the landing page (${tileText})`);
    assert.match(tileText, /Next run\s+\d+ \w+ \d{4}, 02:45 AE[DS]T/, `next run on the landing page (${tileText})`);
    await shot(page, "journey-12-overview");
    await nav(page, "Logs").click();
    await page.getByRole("heading", { name: "Logs" }).waitFor();
    await shot(page, "journey-13-logs");
    await nav(page, "Queue").click();
    await page.getByRole("heading", { name: "Queue" }).waitFor();
    await shot(page, "journey-14-queue");
    await nav(page, "Users").click();
    await page.locator("tbody tr").filter({ hasText: hub.support.email }).waitFor();
    await shot(page, "journey-15-users");
    await nav(page, "API keys").click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await shot(page, "journey-16-api-keys");
    assertClean(admin);
  });

  test("cancels the schedule from its row menu", async () => {
    const { page } = admin;
    await nav(page, "Jobs").click();
    const row = page.locator("[data-testid=schedule-row]");
    await row.waitFor();
    await page.getByRole("button", { name: /^Actions for the schedule/ }).click();
    await page.getByRole("button", { name: "Cancel schedule" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel schedule" }).click();
    await page.waitForFunction(() => document.querySelector("[data-testid=schedule-row]")?.getAttribute("data-active") === "false");
    assert.match(await row.innerText(), /Cancelled/);
    assert.match(await row.innerText(), /not scheduled/);
    await shot(page, "journey-17-jobs-cancelled");
    assertClean(admin);
  });

  test("signs out", async () => {
    const { page } = admin;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    await page.goto(integrationUrl);
    await page.waitForURL(/\/signin\?next=/);
    assertClean(admin);
  });
});

describe("a support user", () => {
  let support;
  before(async () => {
    support = await newPage(browser, hub);
    await signIn(support.page, hub.base, hub.support);
  });

  test("sees every integration but no admin-only control", async () => {
    const { page } = support;
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.locator("[data-testid=integration-tile]").filter({ hasText: names.integration }).waitFor();
    await shot(page, "journey-18-support-overview");

    const absent = async (what, locator) => assert.equal(await locator.count(), 0, `${what} is not offered to support`);
    await absent("Users in the menu", nav(page, "Users"));
    await absent("API keys in the menu", nav(page, "API keys"));
    const shortcuts = page.getByRole("navigation", { name: "Shortcuts" });
    await absent("the Users shortcut", shortcuts.getByRole("link", { name: /Users/ }));
    await absent("New integration", page.getByRole("link", { name: "New integration" }));

    await nav(page, "Connections").click();
    await page.locator("tbody tr").filter({ hasText: names.source }).waitFor();
    await absent("Add connection", page.getByRole("link", { name: "Add connection" }));
    await page.getByRole("link", { name: names.source }).first().click();
    await page.waitForURL(/\/connections\/[0-9a-f-]+$/);
    await page.getByRole("heading", { name: names.source }).waitFor();
    for (const name of ["Delete", "Save settings", "Replace credentials", "Reconnect"]) {
      await absent(name, page.getByRole("button", { name, exact: true }));
    }
    await shot(page, "journey-19-support-connection");

    await nav(page, "Integrations").click();
    await page.locator("tbody tr").filter({ hasText: names.integration }).waitFor();
    await absent("New integration", page.getByRole("link", { name: "New integration" }));
    await page.goto(integrationUrl);
    await page.getByRole("heading", { name: names.integration }).waitFor();
    for (const name of ["Enable", "Disable", "Delete", "Save changes", "Rotate token", "Edit dates"]) {
      await absent(name, page.getByRole("button", { name, exact: true }));
    }
    await absent("the webhook URL (it carries the integration's secret)", page.getByTestId("webhook-url"));
    assert.ok(await page.getByRole("button", { name: "Run now" }).first().isEnabled(), "support may run jobs on demand");
    await shot(page, "journey-20-support-integration");

    await nav(page, "Jobs").click();
    const row = page.locator("[data-testid=schedule-row]");
    await row.waitFor();
    // Support may create schedules and run them (SPEC §1); changing or deleting one is the admins'.
    assert.ok(await page.getByRole("button", { name: "New schedule" }).isVisible(), "support may create a schedule");
    await page.getByRole("button", { name: /^Actions for the schedule/ }).click();
    assert.ok(await page.getByRole("button", { name: "Run now" }).isVisible(), "Run now in the row menu");
    for (const name of ["Edit schedule", "Delete schedule"]) {
      await absent(name, page.getByRole("button", { name }));
    }
    await page.keyboard.press("Escape");
    await shot(page, "journey-21-support-jobs");

    await nav(page, "Queue").click();
    await page.getByRole("heading", { name: "Queue" }).waitFor();
    for (const name of ["Process now", "Re-activate"]) await absent(name, page.getByRole("button", { name }));

    // An admin page reached by its address: the API's 403 is shown in words.
    await page.goto(`${hub.base}/settings/users`);
    await page.locator('[role="alert"]').first().waitFor();
    assert.match(await page.locator('[role="alert"]').first().innerText(), /admin|permission|not allowed|forbidden/i);
    await shot(page, "journey-22-support-users-refused");
    assertClean(support);
  });
});
