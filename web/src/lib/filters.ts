// List filters live in the address (`/reports?integration=…&status=failed`), so a filtered list survives a reload
// and can be linked to. These read them defensively: a value the API would refuse is ignored, not sent.

import { useCallback } from "react";
import { useSearchParams } from "react-router";
import { zonedWallTimeToUtc } from "./datetime";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The parameter if it is one of the table's keys. */
export function enumParam<T extends string>(sp: URLSearchParams, key: string, labels: { readonly [K in T]: string }): T | undefined {
  const v = sp.get(key);
  return v !== null && Object.prototype.hasOwnProperty.call(labels, v) ? (v as T) : undefined;
}

export function uuidParam(sp: URLSearchParams, key: string): string | undefined {
  const v = sp.get(key);
  return v && UUID.test(v) ? v : undefined;
}

export function dayParam(sp: URLSearchParams, key: string): string | undefined {
  const v = sp.get(key);
  return v && DAY.test(v) ? v : undefined;
}

export function boolParam(sp: URLSearchParams, key: string): boolean | undefined {
  const v = sp.get(key);
  return v === "true" ? true : v === "false" ? false : undefined;
}

type ParamValue = string | undefined | null;

/** A copy of the parameters with each key set, or removed when its value is empty. */
export function withParams(sp: URLSearchParams, changes: Readonly<Record<string, ParamValue>>): URLSearchParams {
  const next = new URLSearchParams(sp);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === "") next.delete(key);
    else next.set(key, value);
  }
  return next;
}

export function withParam(sp: URLSearchParams, key: string, value: ParamValue): URLSearchParams {
  return withParams(sp, { [key]: value });
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Days picked in the organisation's zone as the API's `from` (inclusive) and `to` (exclusive) instants: from the
 * start of `fromDay` to the end of `toDay`, both in `timeZone`.
 */
export function dayRange(fromDay: string | undefined, toDay: string | undefined, timeZone: string): { from?: string; to?: string; error?: string } {
  const from = fromDay ? zonedWallTimeToUtc(fromDay, timeZone) ?? undefined : undefined;
  const to = toDay ? zonedWallTimeToUtc(nextDay(toDay), timeZone) ?? undefined : undefined;
  if (fromDay && toDay && fromDay > toDay) return { from, to, error: "The first day is after the last day." };
  return { from, to };
}

export interface SetFilter {
  (key: string, value: ParamValue): void;
  /** Several at once (separate calls in one event would overwrite each other). */
  (changes: Readonly<Record<string, ParamValue>>): void;
}

/** The address's filters, and a setter that replaces the history entry (filters are not pages to go back to). */
export function useFilterParams(): [URLSearchParams, SetFilter] {
  const [sp, setSp] = useSearchParams();
  const set = useCallback(
    (keyOrChanges: string | Readonly<Record<string, ParamValue>>, value?: ParamValue) => {
      const changes = typeof keyOrChanges === "string" ? { [keyOrChanges]: value } : keyOrChanges;
      setSp((prev) => withParams(prev, changes), { replace: true });
    },
    [setSp],
  ) as SetFilter;
  return [sp, set];
}
