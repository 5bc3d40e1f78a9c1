import { describe, expect, it } from "vitest";
import { mergeFirstPage } from "./hooks";

describe("mergeFirstPage", () => {
  it("updates known items in place and puts new ones first", () => {
    const existing = [
      { id: "3", s: "in_progress" },
      { id: "2", s: "done" },
      { id: "1", s: "done" },
    ];
    const fresh = [
      { id: "5", s: "queued" },
      { id: "4", s: "queued" },
      { id: "3", s: "done" },
    ];
    expect(mergeFirstPage(existing, fresh)).toEqual([
      { id: "5", s: "queued" },
      { id: "4", s: "queued" },
      { id: "3", s: "done" },
      { id: "2", s: "done" },
      { id: "1", s: "done" },
    ]);
  });

  it("keeps the list when nothing changed", () => {
    const existing = [{ id: "1" }, { id: "2" }];
    expect(mergeFirstPage(existing, [{ id: "1" }])).toEqual(existing);
  });
});
