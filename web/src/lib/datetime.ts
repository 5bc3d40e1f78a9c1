// Times are shown in the organisation's display timezone (an IANA name from GET /me), with the zone's short name
// so nobody mistakes them for local browser time.

const formatters = new Map<string, Intl.DateTimeFormat>();

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function formatter(timeZone: string, locale: string | undefined): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone,
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(key, f);
  }
  return f;
}

/**
 * A locale that knows the zone's everyday abbreviation: an en-US browser calls Australia/Sydney "GMT+11", while
 * en-AU says "AEDT". Zones without a well-known abbreviation keep the reader's locale (and show "GMT+x").
 */
export function zoneNameLocale(timeZone: string, fallback: string | undefined): string | undefined {
  if (timeZone.startsWith("Australia/")) return "en-AU";
  if (timeZone === "Pacific/Auckland" || timeZone === "Pacific/Chatham") return "en-NZ";
  if (timeZone === "Europe/London" || timeZone === "Europe/Belfast") return "en-GB";
  if (timeZone === "Europe/Dublin") return "en-IE";
  if (timeZone.startsWith("America/") || timeZone.startsWith("US/") || timeZone === "Pacific/Honolulu") return "en-US";
  if (timeZone === "Asia/Kolkata" || timeZone === "Asia/Calcutta") return "en-IN";
  return fallback;
}

export function zoneName(date: Date, timeZone: string, locale: string | undefined): string {
  const loc = zoneNameLocale(timeZone, locale);
  const key = `zone|${loc ?? ""}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(loc, { timeZone, timeZoneName: "short" });
    formatters.set(key, f);
  }
  return f.formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
}

export interface FormatOptions {
  locale?: string;
  /** Text for a missing time. */
  empty?: string;
  /** Append the zone's short name (default true). */
  withZone?: boolean;
}

/**
 * Format an RFC 3339 time in `timeZone` in the reader's locale, with the zone's short name: `25 Nov 2026, 20:23 AEDT`
 * (en-AU), `Nov 25, 2026, 20:23 AEDT` (en-US). A zone the browser does not
 * know falls back to UTC; an unparsable time is shown as it came.
 */
export function formatDateTime(iso: string | null | undefined, timeZone: string, opts: FormatOptions = {}): string {
  if (iso === null || iso === undefined || iso === "") return opts.empty ?? "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const tz = isValidTimeZone(timeZone) ? timeZone : "UTC";
  const text = formatter(tz, opts.locale).format(date);
  return opts.withZone === false ? text : `${text} ${zoneName(date, tz, opts.locale)}`;
}

/** "in 5 minutes" / "3 hours ago", for hover text next to absolute times. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now(), locale?: string): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "";
  const diffSec = Math.round((t - now) / 1000);
  const abs = Math.abs(diffSec);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  if (abs < 45) return rtf.format(0, "second");
  if (abs < 45 * 60) return rtf.format(Math.round(diffSec / 60), "minute");
  if (abs < 22 * 3600) return rtf.format(Math.round(diffSec / 3600), "hour");
  if (abs < 26 * 86400) return rtf.format(Math.round(diffSec / 86400), "day");
  if (abs < 320 * 86400) return rtf.format(Math.round(diffSec / (30 * 86400)), "month");
  return rtf.format(Math.round(diffSec / (365 * 86400)), "year");
}

// ---- wall-clock times in a zone, for <input type="date"> and <input type="datetime-local"> ----

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function wallParts(t: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    partsFormatters.set(timeZone, f);
  }
  const n: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) if (p.type !== "literal") n[p.type] = Number(p.value);
  return { y: n.year!, mo: n.month!, d: n.day!, h: n.hour!, mi: n.minute!, s: n.second! };
}

/** The zone's offset from UTC at instant `t`, in milliseconds (Sydney in summer: +11 h). */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const p = wallParts(t, timeZone);
  const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  return asUtc - Math.floor(t / 1000) * 1000;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * The instant (RFC 3339, UTC) of a wall-clock time in `timeZone`: `2026-01-31T00:00` (or a date alone, meaning
 * midnight) read in Australia/Sydney is `2026-01-30T13:00:00.000Z`. A time skipped when clocks go forward is
 * read with the offset in force before the change (02:30 on that day is 03:30 daylight time), as the hub's
 * schedules do; a time that happens twice is its first instance. Null for text that is not such a time.
 */
export function zonedWallTimeToUtc(wall: string, timeZone: string): string | null {
  const m = WALL.exec(wall.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const naive = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(naive);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null; // 31 February
  // The offsets in force a day either side bracket any change; try the earlier one first (the first instance).
  const before = zoneOffsetMs(naive - 86_400_000, timeZone);
  const after = zoneOffsetMs(naive + 86_400_000, timeZone);
  for (const off of before === after ? [before] : [Math.max(before, after), Math.min(before, after)]) {
    const t = naive - off;
    if (zoneOffsetMs(t, timeZone) === off) return new Date(t).toISOString();
  }
  // In the gap: the offset before the change.
  return new Date(naive - before).toISOString();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** An instant as the `YYYY-MM-DDTHH:mm` wall-clock time of `timeZone` (the value of a datetime-local input). */
export function utcToZonedInput(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const p = wallParts(t, timeZone);
  return `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}

/** The canonical spelling of an IANA zone the browser knows (`australia/sydney` → `Australia/Sydney`), or null. */
export function canonicalTimeZone(tz: string): string | null {
  const name = tz.trim();
  if (!name) return null;
  try {
    return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The IANA zones the browser knows, for suggestions (empty where the browser cannot list them). */
export function knownTimeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
  } catch {
    return [];
  }
}
