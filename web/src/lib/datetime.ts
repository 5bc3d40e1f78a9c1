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
