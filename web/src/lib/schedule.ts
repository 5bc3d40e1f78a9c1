// The schedule form: its values, the checks made before anything is sent (the same rules as the API's, so the
// person hears about a mistake at once and next to the field), the request body, and schedules in words.

import type { IntervalUnit, Schedule, ScheduleInput } from "../api/client";
import { canonicalTimeZone } from "./datetime";
import { INTERVAL_UNIT } from "./labels";

export type TimingKind = "cron" | "every";

export interface ScheduleFormValues {
  integration_id: string;
  timing: TimingKind;
  cron: string;
  every_n: string;
  every_unit: IntervalUnit;
  timezone: string;
  priority: string;
  /** Empty: no limit (-1). */
  max_calls: string;
  repeat_missed: boolean;
  active: boolean;
  /** Read everyone on each run (`params.full`). */
  full: boolean;
  /** The other custom parameters, as JSON text of an object. */
  params: string;
}

export const DEFAULT_PRIORITY = 5;

export function defaultScheduleValues(timezone: string, integrationId = ""): ScheduleFormValues {
  return {
    integration_id: integrationId,
    timing: "cron",
    cron: "0 2 * * *",
    every_n: "1",
    every_unit: "hours",
    timezone,
    priority: String(DEFAULT_PRIORITY),
    max_calls: "",
    repeat_missed: false,
    active: true,
    full: false,
    params: "{}",
  };
}

export function scheduleToValues(s: Schedule): ScheduleFormValues {
  const { full, ...rest } = s.params ?? {};
  return {
    integration_id: s.integration_id,
    timing: s.cron ? "cron" : "every",
    cron: s.cron ?? "",
    every_n: s.every ? String(s.every.n) : "1",
    every_unit: s.every?.unit ?? "hours",
    timezone: s.timezone,
    priority: String(s.priority),
    max_calls: s.max_calls === -1 ? "" : String(s.max_calls),
    repeat_missed: s.repeat_missed,
    active: s.active,
    full: full === true,
    params: JSON.stringify(rest, null, 2),
  };
}

// ---- cron ----

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  namesFrom?: number;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], namesFrom: 0 },
];

const CRON_ALIASES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function cronValue(f: CronField, text: string): number | string {
  const idx = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (idx >= 0) return idx + (f.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) return `\`${text}\` is not a valid ${f.name} value`;
  const v = Number(text);
  if (v < f.min || v > f.max) return `${f.name} \`${v}\` is out of range (${f.min}–${f.max})`;
  return v;
}

function checkCronField(f: CronField, field: string): string | null {
  for (const item of field.split(",")) {
    const slash = item.indexOf("/");
    const range = slash >= 0 ? item.slice(0, slash) : item;
    if (slash >= 0) {
      const step = item.slice(slash + 1);
      if (!/^\d+$/.test(step) || Number(step) < 1) return `step \`${step}\` in the ${f.name} field is not a positive number`;
    }
    if (range === "*") continue;
    const dash = range.indexOf("-");
    if (dash > 0) {
      const a = cronValue(f, range.slice(0, dash));
      if (typeof a === "string") return a;
      const b = cronValue(f, range.slice(dash + 1));
      if (typeof b === "string") return b;
      if (a > b) return `range \`${range}\` in the ${f.name} field runs backwards`;
    } else {
      const a = cronValue(f, range);
      if (typeof a === "string") return a;
    }
  }
  return null;
}

/**
 * What is wrong with a cron expression, or null when it is fine: five fields (`minute hour day-of-month month
 * day-of-week`) of values, ranges, lists and steps, month and weekday names, or one of @yearly, @monthly,
 * @weekly, @daily, @hourly. The same rules as the hub's scheduler.
 */
export function cronProblem(expression: string): string | null {
  const expr = expression.trim();
  if (!expr) return "is required";
  let expanded = expr;
  if (expr.startsWith("@")) {
    const alias = CRON_ALIASES[expr.toLowerCase()];
    if (!alias) return `\`${expr}\` is not one of @yearly, @monthly, @weekly, @daily, @hourly`;
    expanded = alias;
  }
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) return `must have five fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    const problem = checkCronField(CRON_FIELDS[i]!, fields[i]!);
    if (problem) return problem;
  }
  return null;
}

/** The largest N the API accepts: about a year. */
export const MAX_EVERY: { readonly [K in IntervalUnit]: number } = {
  minutes: 366 * 24 * 60,
  hours: 366 * 24,
  days: 366,
};

const INTEGER = /^-?\d+$/;

/** Parse a JSON object; a message when the text is not one. */
export function parseParams(text: string): { value: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { error: "must be a JSON object, like {} or {\"key\": \"value\"}" };
  return { value: v as Record<string, unknown> };
}

/** Client-side checks: field path → message. Empty when the values can be sent. */
export function validateSchedule(v: ScheduleFormValues, mode: "create" | "edit"): Record<string, string> {
  const e: Record<string, string> = {};
  if (mode === "create" && !v.integration_id) e.integration_id = "choose the integration to run";
  if (v.timing === "cron") {
    const p = cronProblem(v.cron);
    if (p) e.cron = p;
  } else {
    const n = v.every_n.trim();
    const max = MAX_EVERY[v.every_unit];
    if (!INTEGER.test(n) || Number(n) < 1) e["every.n"] = "must be a whole number, at least 1";
    else if (Number(n) > max) e["every.n"] = `must be between 1 and ${max} ${v.every_unit}`;
  }
  if (!v.timezone.trim()) e.timezone = "is required";
  else if (!canonicalTimeZone(v.timezone)) e.timezone = `\`${v.timezone.trim()}\` is not an IANA time zone name (for example Australia/Sydney)`;
  const pr = v.priority.trim();
  if (!INTEGER.test(pr) || Number(pr) < 0 || Number(pr) > 10) e.priority = "must be a whole number from 0 (highest) to 10 (lowest)";
  const mc = v.max_calls.trim();
  if (mc && mc !== "-1" && (!INTEGER.test(mc) || Number(mc) < 1)) e.max_calls = "must be empty (no limit) or a whole number, at least 1";
  const params = parseParams(v.params);
  if ("error" in params) e.params = params.error;
  return e;
}

/** The request body for the values (checked first with validateSchedule). */
export function scheduleBody(v: ScheduleFormValues): ScheduleInput {
  const params = parseParams(v.params);
  const rest = "value" in params ? { ...params.value } : {};
  delete rest.full;
  const mc = v.max_calls.trim();
  return {
    ...(v.timing === "cron" ? { cron: v.cron.trim().split(/\s+/).join(" ") } : { every: { n: Number(v.every_n.trim()), unit: v.every_unit } }),
    timezone: canonicalTimeZone(v.timezone) ?? v.timezone.trim(),
    priority: Number(v.priority.trim()),
    max_calls: mc ? Number(mc) : -1,
    repeat_missed: v.repeat_missed,
    active: v.active,
    params: v.full ? { ...rest, full: true } : rest,
  };
}

/**
 * The body of an edit: only what changed from `initial`. Sending an unchanged timing or zone would move the next
 * run (the API recomputes it from now whenever either is named).
 */
export function scheduleChanges(initial: ScheduleFormValues, v: ScheduleFormValues): ScheduleInput {
  const before = scheduleBody(initial) as Record<string, unknown>;
  const after = scheduleBody(v) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(after)) {
    if (JSON.stringify(value) !== JSON.stringify(before[k])) out[k] = value;
  }
  return out as ScheduleInput;
}

/** The form's field paths, for placing the API's field errors. */
export const SCHEDULE_FIELDS = ["integration_id", "cron", "every", "every.n", "every.unit", "timezone", "priority", "max_calls", "repeat_missed", "active", "params", "next_run_at"];

/** `Every 6 hours`, `Cron 30 2 * * *`. */
export function timingLabel(s: Pick<Schedule, "cron" | "every">): string {
  if (s.cron) return `Cron ${s.cron}`;
  if (s.every) {
    const unit = INTERVAL_UNIT[s.every.unit];
    return s.every.n === 1 ? `Every ${unit.replace(/s$/, "")}` : `Every ${s.every.n} ${unit}`;
  }
  return "—";
}

/** `3 of 10 runs`, `12 runs` (no limit). */
export function callsLabel(s: Pick<Schedule, "calls" | "max_calls">): string {
  return s.max_calls === -1 ? `${s.calls} ${s.calls === 1 ? "run" : "runs"}` : `${s.calls} of ${s.max_calls} runs`;
}
