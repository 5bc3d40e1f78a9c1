import type { InboundQueueItem } from "../api/client";

/** Pending items can be processed now; failed ones processed now or put back in the queue (the API's rules). */
export function inboundQueueActions(item: Pick<InboundQueueItem, "status">): { process: boolean; reactivate: boolean } {
  return { process: item.status === "pending" || item.status === "failed", reactivate: item.status === "failed" };
}

/** How the notice after Process now words a failure: "again" only for an item that had failed before. */
export function processFailedLead(before: Pick<InboundQueueItem, "status">): string {
  return before.status === "failed" ? "Processing failed again" : "Processing failed";
}

/**
 * Where an item stands after Process now. The API answers at once with the item due now (`pending`) and a worker
 * processes it in the background, so the page follows it until it is done or failed; `before` is the item as it was
 * when Process now was pressed (a failure is "again" only if it had failed then).
 */
export type ProcessOutcome =
  | { ended: false }
  | { ended: true; failed: false; runId: string | null }
  | { ended: true; failed: true; lead: string; reason: string };

export function processOutcome(before: Pick<InboundQueueItem, "status">, now: Pick<InboundQueueItem, "status" | "error" | "run_id">): ProcessOutcome {
  if (now.status === "failed") return { ended: true, failed: true, lead: processFailedLead(before), reason: now.error ?? "no reason given" };
  if (now.status === "done") return { ended: true, failed: false, runId: now.run_id ?? null };
  return { ended: false };
}

/** A JSON body indented; anything else as it came. */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}
