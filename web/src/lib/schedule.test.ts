import { describe, expect, it } from "vitest";
import type { Schedule } from "../api/client";
import { callsLabel, cronProblem, scheduleChanges, defaultScheduleValues, parseParams, scheduleBody, scheduleToValues, timingLabel, validateSchedule, type ScheduleFormValues } from "./schedule";

const base = (over: Partial<ScheduleFormValues> = {}): ScheduleFormValues => ({ ...defaultScheduleValues("Australia/Sydney", "int-1"), ...over });

describe("cronProblem", () => {
  it("accepts five-field expressions and the @ shortcuts", () => {
    for (const ok of ["30 2 * * *", "*/15 * * * *", "0 9-17 * * mon-fri", "0 0 1,15 * *", "5/10 * * JAN,dec 0", "0 0 * * 7", "  0   2 * * *  ", "@daily", "@Hourly"]) {
      expect(cronProblem(ok), ok).toBeNull();
    }
  });

  it("says what is wrong, like the hub", () => {
    expect(cronProblem("")).toBe("is required");
    expect(cronProblem("0 2 * *")).toBe("must have five fields (minute hour day-of-month month day-of-week), not 4");
    expect(cronProblem("0 2 * * * *")).toBe("must have five fields (minute hour day-of-month month day-of-week), not 6");
    expect(cronProblem("60 * * * *")).toBe("minute `60` is out of range (0–59)");
    expect(cronProblem("0 24 * * *")).toBe("hour `24` is out of range (0–23)");
    expect(cronProblem("0 0 0 * *")).toBe("day of month `0` is out of range (1–31)");
    expect(cronProblem("0 0 * 13 *")).toBe("month `13` is out of range (1–12)");
    expect(cronProblem("0 0 * * 8")).toBe("day of week `8` is out of range (0–7)");
    expect(cronProblem("x 0 * * *")).toBe("`x` is not a valid minute value");
    expect(cronProblem("*/0 * * * *")).toBe("step `0` in the minute field is not a positive number");
    expect(cronProblem("0 17-9 * * *")).toBe("range `17-9` in the hour field runs backwards");
    expect(cronProblem("@sometimes")).toBe("`@sometimes` is not one of @yearly, @monthly, @weekly, @daily, @hourly");
  });
});

describe("validateSchedule", () => {
  it("passes the defaults", () => {
    expect(validateSchedule(base(), "create")).toEqual({});
  });

  it("needs an integration when creating, not when editing", () => {
    expect(validateSchedule(base({ integration_id: "" }), "create")).toEqual({ integration_id: "choose the integration to run" });
    expect(validateSchedule(base({ integration_id: "" }), "edit")).toEqual({});
  });

  it("checks the cron expression only when cron is chosen", () => {
    expect(validateSchedule(base({ cron: "every day" }), "create").cron).toMatch(/five fields/);
    expect(validateSchedule(base({ cron: "every day", timing: "every" }), "create")).toEqual({});
  });

  it("wants every n to be a whole number from 1 to about a year", () => {
    const e = (n: string, unit: ScheduleFormValues["every_unit"] = "hours") => validateSchedule(base({ timing: "every", every_n: n, every_unit: unit }), "create")["every.n"];
    expect(e("0")).toBe("must be a whole number, at least 1");
    expect(e("-2")).toBe("must be a whole number, at least 1");
    expect(e("1.5")).toBe("must be a whole number, at least 1");
    expect(e("")).toBe("must be a whole number, at least 1");
    expect(e("1")).toBeUndefined();
    expect(e("366", "days")).toBeUndefined();
    expect(e("367", "days")).toBe("must be between 1 and 366 days");
    expect(e("527040", "minutes")).toBeUndefined();
  });

  it("keeps priority between 0 and 10", () => {
    const e = (p: string) => validateSchedule(base({ priority: p }), "create").priority;
    expect(e("0")).toBeUndefined();
    expect(e("10")).toBeUndefined();
    expect(e("11")).toBe("must be a whole number from 0 (highest) to 10 (lowest)");
    expect(e("-1")).toBeDefined();
    expect(e("")).toBeDefined();
    expect(e("2.5")).toBeDefined();
  });

  it("wants an IANA zone the browser knows", () => {
    expect(validateSchedule(base({ timezone: "" }), "create").timezone).toBe("is required");
    expect(validateSchedule(base({ timezone: "Sydney" }), "create").timezone).toBe("`Sydney` is not an IANA time zone name (for example Australia/Sydney)");
    expect(validateSchedule(base({ timezone: "Europe/Berlin" }), "create")).toEqual({});
  });

  it("wants max calls empty, -1 or at least 1, and params a JSON object", () => {
    expect(validateSchedule(base({ max_calls: "0" }), "create").max_calls).toBeDefined();
    expect(validateSchedule(base({ max_calls: "-1" }), "create").max_calls).toBeUndefined();
    expect(validateSchedule(base({ max_calls: "12" }), "create").max_calls).toBeUndefined();
    expect(validateSchedule(base({ params: "[1]" }), "create").params).toBe('must be a JSON object, like {} or {"key": "value"}');
    expect(validateSchedule(base({ params: "{oops" }), "create").params).toMatch(/^is not valid JSON/);
    expect(validateSchedule(base({ params: "" }), "create").params).toBeUndefined();
  });
});

describe("scheduleBody", () => {
  it("sends cron or every, never both, with the zone's canonical name", () => {
    expect(scheduleBody(base({ cron: " 30  2 * * * ", timezone: "australia/sydney" }))).toEqual({
      cron: "30 2 * * *",
      timezone: "Australia/Sydney",
      priority: 5,
      max_calls: -1,
      repeat_missed: false,
      active: true,
      params: {},
    });
    const every = scheduleBody(base({ timing: "every", every_n: "6", every_unit: "hours", max_calls: "3", priority: "0" }));
    expect(every.cron).toBeUndefined();
    expect(every.every).toEqual({ n: 6, unit: "hours" });
    expect(every.max_calls).toBe(3);
    expect(every.priority).toBe(0);
  });

  it("puts the full-read switch into the params", () => {
    expect(scheduleBody(base({ full: true, params: '{"note": "x"}' })).params).toEqual({ note: "x", full: true });
    expect(scheduleBody(base({ full: false, params: '{"full": true}' })).params).toEqual({});
  });

  it("round-trips a stored schedule", () => {
    const s: Schedule = {
      id: "s",
      integration_id: "int-1",
      action: "sync",
      active: true,
      calls: 2,
      created_at: "2026-11-25T00:00:00Z",
      updated_at: "2026-11-25T00:00:00Z",
      every: { n: 15, unit: "minutes" },
      cron: null,
      max_calls: -1,
      params: { full: true, region: "au" },
      priority: 3,
      repeat_missed: true,
      timezone: "Australia/Sydney",
    };
    const v = scheduleToValues(s);
    expect(v).toMatchObject({ timing: "every", every_n: "15", every_unit: "minutes", max_calls: "", full: true, priority: "3", repeat_missed: true });
    expect(JSON.parse(v.params)).toEqual({ region: "au" });
    expect(scheduleBody(v)).toEqual({ every: { n: 15, unit: "minutes" }, timezone: "Australia/Sydney", priority: 3, max_calls: -1, repeat_missed: true, active: true, params: { region: "au", full: true } });
  });
});

describe("scheduleChanges", () => {
  it("names only what changed, so an unchanged timing does not move the next run", () => {
    const initial = base({ cron: "30 2 * * *" });
    expect(scheduleChanges(initial, { ...initial, priority: "1" })).toEqual({ priority: 1 });
    expect(scheduleChanges(initial, { ...initial, cron: "30  2 * * *" })).toEqual({});
    expect(scheduleChanges(initial, { ...initial, timing: "every", every_n: "2", every_unit: "days" })).toEqual({ every: { n: 2, unit: "days" } });
    expect(scheduleChanges(initial, { ...initial, full: true, active: false })).toEqual({ active: false, params: { full: true } });
  });
});

describe("schedules in words", () => {
  it("describes timing and calls", () => {
    expect(timingLabel({ cron: "30 2 * * *" })).toBe("Cron 30 2 * * *");
    expect(timingLabel({ every: { n: 6, unit: "hours" } })).toBe("Every 6 hours");
    expect(timingLabel({ every: { n: 1, unit: "days" } })).toBe("Every day");
    expect(callsLabel({ calls: 1, max_calls: -1 })).toBe("1 run");
    expect(callsLabel({ calls: 3, max_calls: 10 })).toBe("3 of 10 runs");
  });

  it("parses params", () => {
    expect(parseParams("  ")).toEqual({ value: {} });
    expect(parseParams('{"a":1}')).toEqual({ value: { a: 1 } });
    expect(parseParams("null")).toHaveProperty("error");
  });
});
