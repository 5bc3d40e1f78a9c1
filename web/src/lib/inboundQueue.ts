import type { InboundQueueItem } from "../api/client";

/** Pending items can be processed now; failed ones processed now or put back in the queue (the API's rules). */
export function inboundQueueActions(item: Pick<InboundQueueItem, "status">): { process: boolean; reactivate: boolean } {
  return { process: item.status === "pending" || item.status === "failed", reactivate: item.status === "failed" };
}

/** How the notice after Process now words a failure: "again" only for an item that had failed before. */
export function processFailedLead(before: Pick<InboundQueueItem, "status">): string {
  return before.status === "failed" ? "Processing failed again" : "Processing failed";
}

/** A JSON body indented; anything else as it came. */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}
