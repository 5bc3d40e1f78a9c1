// What each role may do, in one place, as the API enforces it (its 403s). Screens hide or disable the controls a
// role may not use; the API's 403 is still shown in words if one is reached (a role changed meanwhile).
//
// SPEC.md §1 lets support users create and cancel schedules and run jobs on demand, and the API follows it: run
// now, cancel, resume and replay, creating a schedule and cancelling one are open to admins and support users;
// editing (which is also how a cancelled schedule is activated again) and deleting schedules, inbound queue actions,
// dates and webhooks are admin-only. Schedules have one action per operation the API tells apart
// (crates/domain/src/integrations/schedules: create and cancel `require_operator`, update and delete `require_admin`).

import type { Role } from "../api/client";
import { useAuth } from "../auth/AuthContext";

export type Action =
  | "run_now"
  | "cancel_run"
  | "resume_run"
  | "replay_failed"
  | "create_schedule"
  | "cancel_schedule"
  | "edit_schedule"
  | "delete_schedule"
  | "process_inbound_queue"
  | "edit_dates"
  | "manage_webhooks"
  | "check_logs"
  | "list_users";

const ALLOWED: { readonly [A in Action]: readonly Role[] } = {
  run_now: ["admin", "support"],
  cancel_run: ["admin", "support"],
  resume_run: ["admin", "support"],
  replay_failed: ["admin", "support"],
  create_schedule: ["admin", "support"],
  cancel_schedule: ["admin", "support"],
  edit_schedule: ["admin"],
  delete_schedule: ["admin"],
  process_inbound_queue: ["admin"],
  edit_dates: ["admin"],
  manage_webhooks: ["admin"],
  check_logs: ["admin", "support"],
  list_users: ["admin"],
};

/** Every action, for tests and for checking a role against all of them. */
export const ACTIONS = Object.keys(ALLOWED) as Action[];

export function can(role: Role | null | undefined, action: Action): boolean {
  return !!role && ALLOWED[action].includes(role);
}

/** `can(action)` for the signed-in user. */
export function useCan(): (action: Action) => boolean {
  const { me } = useAuth();
  return (action) => can(me?.role, action);
}

/** An item of a schedule's row menu (Jobs page), named by the action it needs. */
export type ScheduleMenuItem = "run_now" | "edit_schedule" | "cancel_schedule" | "delete_schedule";

/**
 * The items of a schedule's row menu, in order, that `may` allows: Run now (its integration), Edit schedule,
 * Cancel schedule (only while the schedule is active), Delete schedule. Empty: no menu.
 */
export function scheduleMenuItems(may: (a: Action) => boolean, schedule: { active: boolean }): ScheduleMenuItem[] {
  const items: ScheduleMenuItem[] = [];
  if (may("run_now")) items.push("run_now");
  if (may("edit_schedule")) items.push("edit_schedule");
  if (may("cancel_schedule") && schedule.active) items.push("cancel_schedule");
  if (may("delete_schedule")) items.push("delete_schedule");
  return items;
}

/** Whether the schedules table has an actions column at all (some row may have a menu). */
export function hasScheduleMenu(may: (a: Action) => boolean): boolean {
  return scheduleMenuItems(may, { active: true }).length > 0;
}

/** The schedule operations `may` refuses, in words for a hint on the Jobs page; null when it allows them all. */
export function scheduleLimitsHint(may: (a: Action) => boolean): string | null {
  const refused = (
    [
      ["create_schedule", "create"],
      ["edit_schedule", "edit"],
      ["cancel_schedule", "cancel"],
      ["delete_schedule", "delete"],
    ] as const
  )
    .filter(([a]) => !may(a))
    .map(([, verb]) => verb);
  if (!refused.length) return null;
  const verbs = refused.length === 1 ? refused[0] : `${refused.slice(0, -1).join(", ")} or ${refused[refused.length - 1]}`;
  return `Only admins can ${verbs} schedules.`;
}
