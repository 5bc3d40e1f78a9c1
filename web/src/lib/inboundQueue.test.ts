import { describe, expect, it } from "vitest";
import { inboundQueueActions, prettyPayload, processFailedLead, processOutcome } from "./inboundQueue";

describe("inbound queue items", () => {
  it("offers process for pending and failed items, re-activate for failed ones", () => {
    expect(inboundQueueActions({ status: "pending" })).toEqual({ process: true, reactivate: false });
    expect(inboundQueueActions({ status: "failed" })).toEqual({ process: true, reactivate: true });
    expect(inboundQueueActions({ status: "processing" })).toEqual({ process: false, reactivate: false });
    expect(inboundQueueActions({ status: "done" })).toEqual({ process: false, reactivate: false });
  });

  it("says a failure happened again only when the item had failed before", () => {
    expect(processFailedLead({ status: "pending" })).toBe("Processing failed");
    expect(processFailedLead({ status: "failed" })).toBe("Processing failed again");
  });

  it("follows an item after Process now until it is done or failed", () => {
    const pending = { status: "pending", error: null, run_id: null } as const;
    expect(processOutcome({ status: "pending" }, pending)).toEqual({ ended: false });
    expect(processOutcome({ status: "failed" }, pending)).toEqual({ ended: false });
    expect(processOutcome({ status: "pending" }, { ...pending, status: "processing" })).toEqual({ ended: false });
    expect(processOutcome({ status: "pending" }, { status: "done", run_id: "r1" })).toEqual({ ended: true, failed: false, runId: "r1" });
    expect(processOutcome({ status: "pending" }, { status: "done" })).toEqual({ ended: true, failed: false, runId: null });
  });

  it("words a failure after Process now with the item's reason, 'again' only when it had failed before", () => {
    expect(processOutcome({ status: "pending" }, { status: "failed", error: "SCIM answered 400" })).toEqual({ ended: true, failed: true, lead: "Processing failed", reason: "SCIM answered 400" });
    expect(processOutcome({ status: "failed" }, { status: "failed", error: "SCIM answered 400" })).toEqual({ ended: true, failed: true, lead: "Processing failed again", reason: "SCIM answered 400" });
    expect(processOutcome({ status: "pending" }, { status: "failed", error: null })).toEqual({ ended: true, failed: true, lead: "Processing failed", reason: "no reason given" });
  });

  it("indents JSON payloads and leaves others alone", () => {
    expect(prettyPayload('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyPayload("employeeId=7")).toBe("employeeId=7");
  });
});
