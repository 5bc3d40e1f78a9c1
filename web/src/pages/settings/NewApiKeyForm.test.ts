import { describe, expect, it } from "vitest";
import { expiryOf } from "./NewApiKeyForm";

describe("expiryOf", () => {
  it("is null without a day", () => {
    expect(expiryOf("")).toBeNull();
  });

  it("is the end of the chosen day in the browser's zone, as an instant", () => {
    const at = new Date(expiryOf("2030-01-02")!);
    expect([at.getFullYear(), at.getMonth(), at.getDate(), at.getHours(), at.getMinutes()]).toEqual([2030, 0, 2, 23, 59]);
  });
});
