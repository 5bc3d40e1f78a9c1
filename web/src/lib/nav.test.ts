import { describe, expect, it } from "vitest";
import { safeNext } from "./nav";

describe("safeNext", () => {
  it("keeps paths of the app", () => {
    expect(safeNext("/connections")).toBe("/connections");
    expect(safeNext("/integrations/abc?tab=1")).toBe("/integrations/abc?tab=1");
  });
  it("refuses other sites and loops", () => {
    for (const bad of [null, "", "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/signin?next=/x"]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});
