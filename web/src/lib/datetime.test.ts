import { describe, expect, it } from "vitest";
import { formatDateTime, formatRelative, isValidTimeZone } from "./datetime";

describe("formatDateTime", () => {
  it("shows a UTC time in Sydney time with the zone name (daylight saving)", () => {
    // 09:23 UTC on 25 Nov is 20:23 AEDT (UTC+11)
    expect(formatDateTime("2026-11-25T09:23:00.310275191Z", "Australia/Sydney", { locale: "en-AU" })).toBe("25 Nov 2026, 20:23 AEDT");
  });

  it("uses standard time in the southern winter", () => {
    expect(formatDateTime("2026-08-01T00:00:00Z", "Australia/Sydney", { locale: "en-AU" })).toBe("1 Aug 2026, 10:00 AEST");
  });

  it("crosses the date line into the next day", () => {
    expect(formatDateTime("2026-03-31T23:30:00Z", "Australia/Sydney", { locale: "en-AU", withZone: false })).toBe("1 Apr 2026, 10:30");
  });

  it("names Australian zones the Australian way whatever the reader's locale", () => {
    expect(formatDateTime("2026-11-25T09:23:00Z", "Australia/Sydney", { locale: "en-US" })).toBe("Nov 25, 2026, 20:23 AEDT");
    expect(formatDateTime("2026-11-25T09:23:00Z", "Australia/Perth", { locale: "en-GB" })).toBe("25 Nov 2026, 17:23 AWST");
    expect(formatDateTime("2026-11-25T09:23:00Z", "Australia/Brisbane", { locale: "de-DE" })).toBe("25. Nov. 2026, 19:23 AEST");
  });

  it("follows other zones", () => {
    expect(formatDateTime("2026-07-01T12:00:00Z", "Europe/London", { locale: "en-GB" })).toBe("1 Jul 2026, 13:00 BST");
    expect(formatDateTime("2026-07-01T12:00:00+02:00", "UTC", { locale: "en-GB" })).toBe("1 Jul 2026, 10:00 UTC");
  });

  it("handles missing, bad and unknown input", () => {
    expect(formatDateTime(null, "Australia/Sydney")).toBe("—");
    expect(formatDateTime(undefined, "Australia/Sydney", { empty: "never" })).toBe("never");
    expect(formatDateTime("not a date", "Australia/Sydney")).toBe("not a date");
    expect(formatDateTime("2026-07-01T12:00:00Z", "Mars/Olympus", { locale: "en-GB" })).toBe("1 Jul 2026, 12:00 UTC");
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("Australia/Sydney")).toBe(true);
  });
});

describe("formatRelative", () => {
  const now = Date.parse("2026-11-25T10:00:00Z");
  it("says how long ago", () => {
    expect(formatRelative("2026-11-25T09:57:00Z", now, "en")).toBe("3 minutes ago");
    expect(formatRelative("2026-11-25T07:00:00Z", now, "en")).toBe("3 hours ago");
    expect(formatRelative("2026-11-25T10:00:10Z", now, "en")).toBe("now");
    expect(formatRelative(null, now, "en")).toBe("");
  });
});
