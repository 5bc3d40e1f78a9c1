import { describe, expect, it } from "vitest";
import type { Run, RunStatus } from "../api/client";
import { canCancel, canReplayFailed, canResume, countsSummary, formatDuration, isLive, isStuck, runStatusLabel, runTypeLabel, writtenCount } from "./runs";
import { RUN_STATUS } from "./labels";

const now = Date.parse("2026-11-25T10:00:00Z");
function run(status: RunStatus, extra: Partial<Run> = {}): Run {
  return {
    id: "r",
    integration_id: "i",
    number: 7,
    status,
    trigger: "manual",
    attempt: 1,
    max_attempts: 3,
    cancel_requested: false,
    dry_run: false,
    full: false,
    created_at: "2026-11-25T09:00:00Z",
    queued_at: "2026-11-25T09:00:00Z",
    records_read: 40,
    records_filtered: 2,
    records_written: 37,
    records_would_write: 0,
    records_errors: 1,
    local: { timezone: "Australia/Sydney" },
    ...extra,
  };
}

describe("status words", () => {
  it("says COMPLETE for done and ERROR for failed, words for the rest", () => {
    expect(RUN_STATUS.done).toBe("COMPLETE");
    expect(RUN_STATUS.failed).toBe("ERROR");
    expect(runStatusLabel(run("in_progress"))).toBe("In progress");
    expect(runStatusLabel(run("retry"))).toBe("Retrying");
    expect(runStatusLabel(run("partial"))).toBe("Partial");
  });

  it("says Cancelling while a cancel is on its way, and the final status after", () => {
    expect(runStatusLabel(run("in_progress", { cancel_requested: true }))).toBe("Cancelling");
    expect(runStatusLabel(run("cancelled", { cancel_requested: true }))).toBe("Cancelled");
  });

  it("names the type of run", () => {
    expect(runTypeLabel(run("done"))).toBe("Manual · changes only");
    expect(runTypeLabel(run("done", { trigger: "scheduled", full: true }))).toBe("Scheduled · full");
    expect(runTypeLabel(run("done", { trigger: "retry", replay_of: "x" }))).toBe("Replay of failed records");
    expect(runTypeLabel(run("done", { trigger: "webhook" }))).toBe("Webhook");
  });
});

describe("which actions a run allows", () => {
  it("polls only runs that can still change", () => {
    expect(["queued", "in_progress", "retry"].every((s) => isLive(s as RunStatus))).toBe(true);
    expect(["done", "partial", "failed", "cancelled"].some((s) => isLive(s as RunStatus))).toBe(false);
  });

  it("cancels runs that have not ended and are not already stopping", () => {
    expect(canCancel(run("queued"))).toBe(true);
    expect(canCancel(run("in_progress"))).toBe(true);
    expect(canCancel(run("retry"))).toBe(true);
    expect(canCancel(run("in_progress", { cancel_requested: true }))).toBe(false);
    expect(canCancel(run("done"))).toBe(false);
  });

  it("resumes failed, retrying and stuck runs only", () => {
    expect(canResume(run("failed"), now)).toBe(true);
    expect(canResume(run("retry"), now)).toBe(true);
    expect(canResume(run("in_progress", { heartbeat_at: "2026-11-25T09:59:50Z" }), now)).toBe(false);
    expect(canResume(run("in_progress", { heartbeat_at: "2026-11-25T09:59:00Z" }), now)).toBe(true);
    expect(canResume(run("in_progress", { heartbeat_at: null }), now)).toBe(true);
    expect(canResume(run("queued"), now)).toBe(false);
    expect(canResume(run("done"), now)).toBe(false);
    expect(isStuck(run("queued", { heartbeat_at: null }), now)).toBe(false);
  });

  it("replays failed records of finished runs that have some", () => {
    expect(canReplayFailed(run("partial"))).toBe(true);
    expect(canReplayFailed(run("partial", { records_errors: 0 }))).toBe(false);
    expect(canReplayFailed(run("in_progress"))).toBe(false);
    expect(canReplayFailed(run("partial", { records_removed_at: "2026-12-07T10:00:00Z" }))).toBe(false);
  });
});

describe("numbers and times", () => {
  it("formats durations", () => {
    expect(formatDuration("2026-11-25T09:00:00Z", "2026-11-25T09:00:12.4Z")).toBe("12 s");
    expect(formatDuration("2026-11-25T09:00:00Z", "2026-11-25T09:03:04Z")).toBe("3 min 4 s");
    expect(formatDuration("2026-11-25T09:00:00Z", "2026-11-25T09:05:00Z")).toBe("5 min");
    expect(formatDuration("2026-11-25T09:00:00Z", "2026-11-25T10:02:00Z")).toBe("1 h 2 min");
    expect(formatDuration("2026-11-25T09:00:00Z", null)).toBe("");
    expect(formatDuration("2026-11-25T09:00:00Z", "2026-11-25T08:00:00Z")).toBe("");
  });

  it("sums up the counts", () => {
    expect(countsSummary(run("done"))).toBe("40 read · 2 filtered · 37 written · 1 error");
    expect(countsSummary(run("done", { records_errors: 3 }))).toBe("40 read · 2 filtered · 37 written · 3 errors");
  });

  it("says what a dry run would have written, apart from what was written", () => {
    const dry = run("done", { dry_run: true, records_written: 0, records_would_write: 12 });
    expect(countsSummary(dry)).toBe("40 read · 2 filtered · 12 would write · 1 error");
    expect(writtenCount(dry)).toBe(12);
    expect(writtenCount(run("done"))).toBe(37);
  });
});
