import { describe, expect, it } from "vitest";
import type { Schedule } from "../api/client";
import { nextRunByIntegration } from "./data";

const s = (id: string, integration_id: string, next_run_at: string | null, active = true) => ({ id, integration_id, next_run_at, active }) as Schedule;

describe("nextRunByIntegration", () => {
  it("keeps the soonest next run of the active schedules of each integration", () => {
    const m = nextRunByIntegration([
      s("a", "i1", "2026-11-26T02:00:00Z"),
      s("b", "i1", "2026-11-25T20:00:00Z"),
      s("c", "i1", "2026-11-25T10:00:00Z", false),
      s("d", "i2", null),
      s("e", "i3", "2026-12-01T00:00:00Z"),
    ]);
    expect(m.get("i1")?.id).toBe("b");
    expect(m.has("i2")).toBe(false);
    expect(m.get("i3")?.id).toBe("e");
  });
});
