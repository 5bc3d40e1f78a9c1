// What each role may do, in one place, as the API enforces it (its 403s). Screens hide or disable the controls a
// role may not use; the API's 403 is still shown in words if one is reached (a role changed meanwhile).
//
// SPEC.md §1 lets support users create and cancel schedules and run jobs on demand, but the API answers 403 to
// support for those (schedules, run now, run actions and queue actions are admin-only there); this table follows
// the API. Change a line here when the API changes.

import type { Role } from "../api/client";
import { useAuth } from "../auth/AuthContext";

export type Action =
  | "run_now"
  | "cancel_run"
  | "resume_run"
  | "replay_failed"
  | "manage_schedules"
  | "process_queue"
  | "edit_dates"
  | "manage_webhooks"
  | "check_logs"
  | "list_users";

const ALLOWED: { readonly [A in Action]: readonly Role[] } = {
  run_now: ["admin"],
  cancel_run: ["admin"],
  resume_run: ["admin"],
  replay_failed: ["admin"],
  manage_schedules: ["admin"],
  process_queue: ["admin"],
  edit_dates: ["admin"],
  manage_webhooks: ["admin"],
  check_logs: ["admin", "support"],
  list_users: ["admin"],
};

export function can(role: Role | null | undefined, action: Action): boolean {
  return !!role && ALLOWED[action].includes(role);
}

/** `can(action)` for the signed-in user. */
export function useCan(): (action: Action) => boolean {
  const { me } = useAuth();
  return (action) => can(me?.role, action);
}
