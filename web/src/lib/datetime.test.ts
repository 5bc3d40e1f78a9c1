import { describe, expect, it } from "vitest";
import { canonicalTimeZone, formatDateTime, formatRelative, isValidTimeZone, utcToZonedInput, zoneOffsetMs, zonedWallTimeToUtc } from "./datetime";

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

describe("wall-clock times in a zone", () => {
  it("reads a wall-clock time in Sydney as an instant", () => {
    expect(zonedWallTimeToUtc("2026-01-31T00:00", "Australia/Sydney")).toBe("2026-01-30T13:00:00.000Z");
    expect(zonedWallTimeToUtc("2026-07-01", "Australia/Sydney")).toBe("2026-06-30T14:00:00.000Z");
    expect(zonedWallTimeToUtc("2026-07-01T12:00:30", "UTC")).toBe("2026-07-01T12:00:30.000Z");
  });

  it("reads a time skipped by spring forward with the offset before the change", () => {
    // Sydney moves from 02:00 AEST to 03:00 AEDT on 4 Oct 2026: 02:30 does not exist; it is 03:30 AEDT.
    expect(zonedWallTimeToUtc("2026-10-04T02:30", "Australia/Sydney")).toBe("2026-10-03T16:30:00.000Z");
    expect(utcToZonedInput("2026-10-03T16:30:00.000Z", "Australia/Sydney")).toBe("2026-10-04T03:30");
  });

  it("takes the first instance of a time repeated when clocks go back", () => {
    // Sydney goes back from 03:00 AEDT to 02:00 AEST on 5 Apr 2026: 02:30 happens twice.
    expect(zonedWallTimeToUtc("2026-04-05T02:30", "Australia/Sydney")).toBe("2026-04-04T15:30:00.000Z");
  });

  it("refuses what is not a time", () => {
    expect(zonedWallTimeToUtc("", "Australia/Sydney")).toBeNull();
    expect(zonedWallTimeToUtc("2026-02-31", "Australia/Sydney")).toBeNull();
    expect(zonedWallTimeToUtc("2026-01-01T25:00", "Australia/Sydney")).toBeNull();
  });

  it("shows an instant as the zone's wall-clock time, round trip", () => {
    expect(utcToZonedInput("2026-11-25T09:23:45Z", "Australia/Sydney")).toBe("2026-11-25T20:23");
    expect(utcToZonedInput(null, "Australia/Sydney")).toBe("");
    const wall = utcToZonedInput("2026-03-01T00:00:00Z", "America/New_York");
    expect(zonedWallTimeToUtc(wall, "America/New_York")).toBe("2026-03-01T00:00:00.000Z");
  });

  it("knows zone offsets and canonical names", () => {
    expect(zoneOffsetMs(Date.parse("2026-11-25T00:00:00Z"), "Australia/Sydney")).toBe(11 * 3600_000);
    expect(zoneOffsetMs(Date.parse("2026-07-01T00:00:00Z"), "America/New_York")).toBe(-4 * 3600_000);
    expect(canonicalTimeZone("australia/sydney")).toBe("Australia/Sydney");
    expect(canonicalTimeZone("Mars/Olympus")).toBeNull();
    expect(canonicalTimeZone("  ")).toBeNull();
  });
});
