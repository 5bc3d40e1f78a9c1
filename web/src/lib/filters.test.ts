import { describe, expect, it } from "vitest";
import { boolParam, dayParam, dayRange, enumParam, uuidParam, withParam, withParams } from "./filters";
import { RUN_STATUS } from "./labels";

describe("filters from the address", () => {
  const sp = new URLSearchParams("status=failed&bad=toString&integration=0193a1b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b&x=nope&day=2026-11-25&checked=false");

  it("keeps only values the API accepts", () => {
    expect(enumParam(sp, "status", RUN_STATUS)).toBe("failed");
    expect(enumParam(sp, "bad", RUN_STATUS)).toBeUndefined();
    expect(enumParam(sp, "missing", RUN_STATUS)).toBeUndefined();
    expect(uuidParam(sp, "integration")).toBe("0193a1b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b");
    expect(uuidParam(sp, "x")).toBeUndefined();
    expect(dayParam(sp, "day")).toBe("2026-11-25");
    expect(dayParam(sp, "x")).toBeUndefined();
    expect(boolParam(sp, "checked")).toBe(false);
    expect(boolParam(sp, "x")).toBeUndefined();
  });

  it("sets and clears a parameter without touching the original", () => {
    const next = withParam(sp, "status", "done");
    expect(next.get("status")).toBe("done");
    expect(sp.get("status")).toBe("failed");
    expect(withParam(sp, "status", "").has("status")).toBe(false);
    expect(withParam(sp, "status", undefined).has("status")).toBe(false);
  });

  it("sets several at once", () => {
    const next = withParams(sp, { min_level: "warning", level: null, status: "" });
    expect(next.get("min_level")).toBe("warning");
    expect(next.has("status")).toBe(false);
    expect(next.get("integration")).toBe("0193a1b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b");
  });
});

describe("dayRange", () => {
  it("turns days in the organisation's zone into the API's instants, the last day included", () => {
    expect(dayRange("2026-11-01", "2026-11-30", "Australia/Sydney")).toEqual({ from: "2026-10-31T13:00:00.000Z", to: "2026-11-30T13:00:00.000Z" });
    expect(dayRange(undefined, "2026-12-31", "UTC")).toEqual({ from: undefined, to: "2027-01-01T00:00:00.000Z" });
    expect(dayRange(undefined, undefined, "UTC")).toEqual({ from: undefined, to: undefined });
  });

  it("says when the days are the wrong way round", () => {
    expect(dayRange("2026-11-30", "2026-11-01", "UTC").error).toBe("The first day is after the last day.");
  });
});
