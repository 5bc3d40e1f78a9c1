import { describe, expect, it } from "vitest";
import { inboundQueueActions, prettyPayload, processFailedLead } from "./inboundQueue";

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

  it("indents JSON payloads and leaves others alone", () => {
    expect(prettyPayload('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyPayload("employeeId=7")).toBe("employeeId=7");
  });
});
