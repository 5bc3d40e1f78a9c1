import { describe, expect, it } from "vitest";
import { can } from "./permissions";

describe("can", () => {
  it("lets admins do everything", () => {
    for (const a of ["run_now", "cancel_run", "resume_run", "replay_failed", "manage_schedules", "process_queue", "edit_dates", "manage_webhooks", "check_logs", "list_users"] as const) {
      expect(can("admin", a)).toBe(true);
    }
  });

  it("lets support users run jobs and mark logs checked, and nothing the API refuses them", () => {
    expect(can("support", "check_logs")).toBe(true);
    for (const a of ["run_now", "cancel_run", "resume_run", "replay_failed"] as const) {
      expect(can("support", a)).toBe(true);
    }
    expect(can("support", "manage_schedules")).toBe(false);
    expect(can("support", "process_queue")).toBe(false);
    expect(can("support", "list_users")).toBe(false);
    expect(can(null, "check_logs")).toBe(false);
  });
});
