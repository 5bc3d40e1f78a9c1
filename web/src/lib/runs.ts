// What a run's state means for the screens: which statuses are still moving (and so are polled), which actions
// the API accepts for it, and how its counts and times read. The rules mirror the API's own checks (cancel: not
// finished; resume: failed, retrying, or running but silent for over 30 s; replay: finished with failed records still kept),
// so that a button is offered only when pressing it can work; the API still has the last word.

import type { Run, RunStatus } from "../api/client";
import { RUN_STATUS, RUN_TRIGGER } from "./labels";

export type Tone = "neutral" | "success" | "danger" | "warning" | "info";

export const RUN_STATUS_TONE: { readonly [K in RunStatus]: Tone } = {
  queued: "info",
  in_progress: "info",
  done: "success",
  partial: "warning",
  retry: "warning",
  failed: "danger",
  cancelled: "neutral",
};

/** The statuses of a run that has ended for good. */
const FINISHED: ReadonlySet<RunStatus> = new Set<RunStatus>(["done", "partial", "failed", "cancelled"]);

/** A run whose status may still change on its own (queued, in progress, waiting to retry): screens poll it. */
export function isLive(status: RunStatus): boolean {
  return !FINISHED.has(status);
}

export function isFinished(status: RunStatus): boolean {
  return FINISHED.has(status);
}

/** How long a running run may be silent before the API lets a person resume it by hand. */
export const STALE_FOR_HAND_RESUME_MS = 30_000;

type RunState = Pick<Run, "status" | "heartbeat_at" | "records_errors" | "cancel_requested" | "records_removed_at">;

export function canCancel(run: RunState): boolean {
  return !isFinished(run.status) && !run.cancel_requested;
}

/** Failed, waiting to retry, or running with no heartbeat for over 30 s (stuck). */
export function canResume(run: RunState, now: number = Date.now()): boolean {
  if (run.status === "failed" || run.status === "retry") return true;
  if (run.status !== "in_progress") return false;
  return isStuck(run, now);
}

/** A running run that has said nothing for too long. */
export function isStuck(run: Pick<Run, "status" | "heartbeat_at">, now: number = Date.now()): boolean {
  if (run.status !== "in_progress") return false;
  if (!run.heartbeat_at) return true;
  const beat = Date.parse(run.heartbeat_at);
  return Number.isNaN(beat) || now - beat > STALE_FOR_HAND_RESUME_MS;
}

/** Finished with records that failed: they can be retried alone in a new run. */
export function canReplayFailed(run: RunState): boolean {
  return isFinished(run.status) && run.records_errors > 0 && !run.records_removed_at;
}

/** The status in words (COMPLETE, ERROR, …); "Cancelling" while a cancel is on its way. */
export function runStatusLabel(run: Pick<Run, "status" | "cancel_requested">): string {
  if (run.cancel_requested && !isFinished(run.status)) return "Cancelling";
  return RUN_STATUS[run.status];
}

/** What kind of run: how it was started, and whether it read everyone or only the changed. */
export function runTypeLabel(run: Pick<Run, "trigger" | "full" | "replay_of">): string {
  const how = RUN_TRIGGER[run.trigger];
  if (run.replay_of) return `${how} of failed records`;
  // A webhook run syncs the people its events name.
  if (run.trigger === "webhook") return how;
  return `${how} · ${run.full ? "full" : "changes only"}`;
}

/** `1 h 2 min`, `3 min 4 s`, `12 s`: the time between two instants; empty when either is missing. */
export function formatDuration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return "";
  const ms = Date.parse(to) - Date.parse(from);
  if (Number.isNaN(ms) || ms < 0) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const h = Math.floor(m / 60);
  return `${h} h${m % 60 ? ` ${m % 60} min` : ""}`;
}

/** What a run wrote, or for a dry run what it would have written. */
export function writtenCount(run: Pick<Run, "dry_run" | "records_written" | "records_would_write">): number {
  return run.dry_run ? run.records_would_write : run.records_written;
}

/** `40 read · 2 filtered · 37 written · 1 error` (a dry run: `37 would write`). */
export function countsSummary(
  run: Pick<Run, "dry_run" | "records_read" | "records_filtered" | "records_written" | "records_would_write" | "records_errors">,
): string {
  const e = run.records_errors;
  const written = `${writtenCount(run)} ${run.dry_run ? "would write" : "written"}`;
  return `${run.records_read} read · ${run.records_filtered} filtered · ${written} · ${e} ${e === 1 ? "error" : "errors"}`;
}
