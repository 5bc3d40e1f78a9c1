import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { mergeFirstPage, runAction } from "./hooks";

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

describe("runAction", () => {
  const recorder = () => {
    const log: unknown[] = [];
    return { log, set: { busy: (k: string | null) => log.push(["busy", k]), error: (e: ApiError | null) => log.push(["error", e && e.status]) } };
  };

  it("names the action while it runs and clears an earlier refusal first", async () => {
    const { log, set } = recorder();
    await runAction(set, "k1", async () => {
      log.push("work");
    });
    expect(log).toEqual([["busy", "k1"], ["error", null], "work", ["busy", null]]);
  });

  it("keeps a failure as the refusal in words, and is no longer busy after it", async () => {
    const { log, set } = recorder();
    await runAction(set, "k2", async () => {
      throw new ApiError({ status: 409, title: "Conflict", detail: "taken", code: "conflict", type: "about:blank", errors: [] });
    });
    expect(log).toEqual([["busy", "k2"], ["error", null], ["error", 409], ["busy", null]]);
  });
});
