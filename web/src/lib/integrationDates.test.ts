import { describe, expect, it } from "vitest";
import type { IntegrationDates } from "../api/client";
import { dateLabel, datesChanges, draftsFrom } from "./integrationDates";

const TZ = "Australia/Sydney";
const now = Date.parse("2026-11-25T10:00:00Z");
const dates = (value: string | null): IntegrationDates => ({
  items: [{ name: "employees_updated_since", description: "Employees updated since: …", value, updated_at: value }],
  warning: "Runs read incrementally from these dates. …",
});

describe("integration dates", () => {
  it("labels a date by its name", () => {
    expect(dateLabel("employees_updated_since")).toBe("Employees updated since");
  });

  it("shows the stored value as the organisation's wall-clock time", () => {
    expect(draftsFrom(dates("2026-11-20T13:00:00.123Z"), TZ)).toEqual({ employees_updated_since: "2026-11-21T00:00" });
    expect(draftsFrom(dates(null), TZ)).toEqual({ employees_updated_since: "" });
  });

  it("sends nothing when nothing changed (seconds the input cannot show are kept)", () => {
    const d = dates("2026-11-20T13:00:05.123Z");
    expect(datesChanges(d, draftsFrom(d, TZ), TZ, now)).toEqual({ body: {}, errors: {} });
  });

  it("sends a moved date as an instant, and an emptied one as null", () => {
    const d = dates("2026-11-20T13:00:00Z");
    expect(datesChanges(d, { employees_updated_since: "2026-11-01T00:00" }, TZ, now)).toEqual({ body: { employees_updated_since: "2026-10-31T13:00:00.000Z" }, errors: {} });
    expect(datesChanges(d, { employees_updated_since: "" }, TZ, now)).toEqual({ body: { employees_updated_since: null }, errors: {} });
    expect(datesChanges(dates(null), { employees_updated_since: "" }, TZ, now)).toEqual({ body: {}, errors: {} });
  });

  it("refuses a time in the future or no time at all", () => {
    const d = dates(null);
    expect(datesChanges(d, { employees_updated_since: "2026-11-26T09:00" }, TZ, now).errors).toEqual({ employees_updated_since: "must not be in the future" });
    expect(datesChanges(d, { employees_updated_since: "soon" }, TZ, now).errors).toEqual({ employees_updated_since: "is not a date and time" });
  });
});
