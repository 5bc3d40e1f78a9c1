// Editing integration dates (the watermarks of incremental reads) in the organisation's zone: each date is a
// wall-clock time in a datetime-local input; only the dates that changed are sent, an emptied one as null (the
// next run reads everyone). A time in the future is refused here as the API would.

import type { IntegrationDates } from "../api/client";
import { utcToZonedInput, zonedWallTimeToUtc } from "./datetime";

export type DateDrafts = Record<string, string>;

/** `employees_updated_since` → `Employees updated since`. */
export function dateLabel(name: string): string {
  const words = name.replace(/_/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : name;
}

export function draftsFrom(dates: IntegrationDates, timeZone: string): DateDrafts {
  return Object.fromEntries(dates.items.map((d) => [d.name, utcToZonedInput(d.value, timeZone)]));
}

/** The body of `PUT /integrations/{id}/dates` for the drafts, or the errors by date name. */
export function datesChanges(
  dates: IntegrationDates,
  drafts: DateDrafts,
  timeZone: string,
  now: number = Date.now(),
): { body: Record<string, string | null>; errors: Record<string, string> } {
  const initial = draftsFrom(dates, timeZone);
  const body: Record<string, string | null> = {};
  const errors: Record<string, string> = {};
  for (const d of dates.items) {
    const draft = (drafts[d.name] ?? "").trim();
    if (draft === initial[d.name]) continue;
    if (!draft) {
      if (d.value) body[d.name] = null;
      continue;
    }
    const iso = zonedWallTimeToUtc(draft, timeZone);
    if (!iso) errors[d.name] = "is not a date and time";
    else if (Date.parse(iso) > now) errors[d.name] = "must not be in the future";
    else body[d.name] = iso;
  }
  return { body, errors };
}
