// What each role may do, in one place, as the API enforces it (its 403s). Screens hide or disable the controls a
// role may not use; the API's 403 is still shown in words if one is reached (a role changed meanwhile).
//
// SPEC.md §1 lets support users create and cancel schedules and run jobs on demand, and the API follows it: run
// now, cancel, resume and replay, and creating and cancelling schedules, are open to support; editing and deleting
// schedules, queue actions, dates and webhooks are admin-only. The schedule screens still treat schedules as one
// admin-only action (support cannot create or cancel them from the app yet).

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
  run_now: ["admin", "support"],
  cancel_run: ["admin", "support"],
  resume_run: ["admin", "support"],
  replay_failed: ["admin", "support"],
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
