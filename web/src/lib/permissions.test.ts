import { describe, expect, it } from "vitest";
import type { Role } from "../api/client";
import { ACTIONS, can, hasScheduleMenu, scheduleLimitsHint, scheduleMenuItems, type Action } from "./permissions";

const as = (role: Role | null) => (a: Action) => can(role, a);

describe("can", () => {
  it("lets admins do everything", () => {
    expect(ACTIONS).toHaveLength(13);
    for (const a of ACTIONS) {
      expect(can("admin", a), a).toBe(true);
    }
  });

  it("lets support users run jobs, create and cancel schedules and mark logs checked, and nothing the API refuses them", () => {
    const allowed: Action[] = ["run_now", "cancel_run", "resume_run", "replay_failed", "create_schedule", "cancel_schedule", "check_logs"];
    for (const a of ACTIONS) {
      expect(can("support", a), a).toBe(allowed.includes(a));
    }
  });

  it("follows the API on schedules: create and cancel for operators, edit and delete for admins only", () => {
    expect(can("support", "create_schedule")).toBe(true);
    expect(can("support", "cancel_schedule")).toBe(true);
    expect(can("support", "edit_schedule")).toBe(false);
    expect(can("support", "delete_schedule")).toBe(false);
  });

  it("allows nothing without a role", () => {
    for (const a of ACTIONS) {
      expect(can(null, a), a).toBe(false);
      expect(can(undefined, a), a).toBe(false);
    }
  });
});

describe("a schedule's row menu", () => {
  it("gives admins every item, Cancel only while the schedule is active", () => {
    expect(scheduleMenuItems(as("admin"), { active: true })).toEqual(["run_now", "edit_schedule", "cancel_schedule", "delete_schedule"]);
    expect(scheduleMenuItems(as("admin"), { active: false })).toEqual(["run_now", "edit_schedule", "delete_schedule"]);
  });

  it("gives support users Run now and Cancel schedule, never Edit or Delete", () => {
    expect(scheduleMenuItems(as("support"), { active: true })).toEqual(["run_now", "cancel_schedule"]);
    expect(scheduleMenuItems(as("support"), { active: false })).toEqual(["run_now"]);
  });

  it("is there for both roles and not without one", () => {
    expect(hasScheduleMenu(as("admin"))).toBe(true);
    expect(hasScheduleMenu(as("support"))).toBe(true);
    expect(hasScheduleMenu(as(null))).toBe(false);
    expect(scheduleMenuItems(as(null), { active: true })).toEqual([]);
  });
});

describe("the Jobs page's hint on schedules", () => {
  it("names only what the role may not do", () => {
    expect(scheduleLimitsHint(as("admin"))).toBeNull();
    expect(scheduleLimitsHint(as("support"))).toBe("Only admins can edit or delete schedules.");
    expect(scheduleLimitsHint(as(null))).toBe("Only admins can create, edit, cancel or delete schedules.");
  });
});
