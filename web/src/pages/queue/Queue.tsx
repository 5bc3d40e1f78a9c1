import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { api, call, type InboundQueueItem } from "../../api/client";
import { toApiError } from "../../api/errors";
import { useActions, useAsync, usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE, allIntegrations, byId } from "../../lib/data";
import { enumParam, useFilterParams, uuidParam } from "../../lib/filters";
import { INBOUND_QUEUE_STATUS, keysOf } from "../../lib/labels";
import { useCan } from "../../lib/permissions";
import { usePolling } from "../../lib/polling";
import { inboundQueueActions, prettyPayload, processOutcome } from "../../lib/inboundQueue";
import { PageHeader } from "../../components/PageHeader";
import { AdminOnlyHint, ErrorAlert, Notice } from "../../components/alerts";
import { InboundQueueStatusBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";
import { CodeDetails } from "../../components/CodeDetails";
import { FilterSelect, Filters, IntegrationFilter } from "../../components/filters";
import "./queue.css";

const INBOUND_QUEUE_POLL_MS = 5000;
/** How often an item sent with Process now is read until it ends. */
const FOLLOW_POLL_MS = 1500;

export function QueuePage() {
  useTitle("Queue");
  const can = useCan();
  const mayAct = can("process_inbound_queue");
  const [sp, setParam] = useFilterParams();
  const status = enumParam(sp, "status", INBOUND_QUEUE_STATUS);
  const integrationId = uuidParam(sp, "integration");
  const integrations = useAsync(allIntegrations, []);
  const names = byId(integrations.data ?? []);
  const list = usePaged<InboundQueueItem>(
    (cursor) => call(api.GET("/api/v1/queue", { params: { query: { status, integration_id: integrationId, limit: PAGE_SIZE, cursor } } })),
    [status, integrationId],
  );
  const [message, setMessage] = useState<{ tone: "success" | "info" | "warning"; text: ReactNode } | null>(null);
  const actions = useActions<string>();
  const busy = actions.busy;
  // Items sent to a worker with Process now, as they were when it was pressed: followed until they end.
  const [following, setFollowing] = useState<ReadonlyMap<string, InboundQueueItem>>(new Map());

  /** Show an item as the API answered it: in place, or out of a list filtered by another status. */
  const showItem = (updated: InboundQueueItem) => {
    if (status && updated.status !== status) list.remove((x) => x.id === updated.id);
    else list.replace((x) => x.id === updated.id, updated);
  };

  /** The notice once a processed item has ended; false while it is still on its way. */
  const showOutcome = (before: InboundQueueItem, now: InboundQueueItem): boolean => {
    const outcome = processOutcome(before, now);
    if (!outcome.ended) return false;
    if (outcome.failed) setMessage({ tone: "warning", text: <>{outcome.lead}: <Ticks text={outcome.reason} /></> });
    else
      setMessage({
        tone: "success",
        text: (
          <>
            Processed: {INBOUND_QUEUE_STATUS[now.status].toLowerCase()}.{outcome.runId && <> <Link to={`/runs/${outcome.runId}`}>See the run</Link>.</>}
          </>
        ),
      });
    return true;
  };

  const follow = (id: string, before: InboundQueueItem | null) =>
    setFollowing((prev) => {
      const next = new Map(prev);
      if (before) next.set(id, before);
      else next.delete(id);
      return next;
    });

  // The list is polled while something in it moves, and faster while an item sent with Process now is followed: that
  // item is read on its own too, so its outcome is seen even when it is not on the first page or leaves the filter.
  const moving = list.items.some((i) => i.status === "pending" || i.status === "processing");
  usePolling(
    async () => {
      await list.refresh();
      for (const [id, before] of following) {
        try {
          const now = await call(api.GET("/api/v1/queue/{id}", { params: { path: { id } } }));
          if (showOutcome(before, now)) {
            showItem(now);
            follow(id, null);
          }
        } catch (e) {
          // Gone (deleted with its integration): nothing more to follow. Anything else: try again on the next tick.
          if (toApiError(e).status === 404) follow(id, null);
        }
      }
    },
    following.size > 0 ? FOLLOW_POLL_MS : INBOUND_QUEUE_POLL_MS,
    moving || following.size > 0,
  );

  const processNow = (item: InboundQueueItem) =>
    act(item, async () => {
      const answered = await call(api.POST("/api/v1/queue/{id}/process", { params: { path: { id: item.id } } }));
      showItem(answered);
      // A worker takes it now; the outcome follows (at once if the answer already carries it).
      if (!showOutcome(item, answered)) {
        follow(item.id, item);
        setMessage({ tone: "info", text: `The ${item.event_type} event of ${item.source_id} is being processed: the outcome shows here when it ends.` });
      }
    });

  const reactivate = (item: InboundQueueItem) =>
    act(item, async () => {
      showItem(await call(api.POST("/api/v1/queue/{id}/reactivate", { params: { path: { id: item.id } } })));
      setMessage({ tone: "success", text: `The ${item.event_type} event of ${item.source_id} is pending again and is processed shortly.` });
    });

  const act = (item: InboundQueueItem, work: () => Promise<void>) =>
    actions.run(item.id, async () => {
      setMessage(null);
      await work();
    });

  return (
    <>
      <PageHeader
        title="Queue"
        subtitle="Webhook events from the sources, kept until they are processed. Failed events stay here with the reason until they are re-activated."
        actions={
          <button type="button" className="btn btn-secondary" onClick={() => void list.refresh()}>
            Refresh
          </button>
        }
      />
      {!mayAct && <AdminOnlyHint>Only admins can process or re-activate queue items.</AdminOnlyHint>}
      {message && (
        <Notice tone={message.tone} onDismiss={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={integrations.error} />
      <Filters label="Filter queue items">
        <FilterSelect id="filter-status" label="Status" value={status ?? ""} onChange={(v) => setParam("status", v)} anyLabel="Any status" options={keysOf(INBOUND_QUEUE_STATUS).map((k) => ({ value: k, label: INBOUND_QUEUE_STATUS[k] }))} testId="queue-status" />
        <IntegrationFilter integrations={integrations.data} value={integrationId} onChange={(v) => setParam("integration", v)} />
      </Filters>
      <PagedCard
        list={list}
        loadingLabel="Loading the queue…"
        empty={
          <EmptyState title={status || integrationId ? "No items match these filters" : "The queue is empty"}>
            Each webhook delivery from a source becomes an item here; integration pages show the webhook URL.
          </EmptyState>
        }
      >
        <DataTable caption="Queue items" testId="queue-table" columns={["Received", "Event", "Status", "Due", "Outcome", mayAct && { label: "Actions", hidden: true }]}>
          {list.items.map((item) => {
            const actions = inboundQueueActions(item);
            const what = `${item.event_type} event of ${item.source_id}`;
            return (
              <tr key={item.id} data-testid="queue-row" data-status={item.status} data-queue-id={item.id}>
                <td className="small cell-date">
                  <DateTime value={item.received_at} />
                </td>
                <td>
                  <div>
                    <strong>{item.event_type}</strong> · <span className="mono">{item.source_id}</span>
                  </div>
                  <div className="muted small">
                    <Link to={`/integrations/${item.integration_id}`}>{names.get(item.integration_id)?.name ?? "Integration"}</Link>
                    {item.event_id && <> · event {item.event_id}</>}
                  </div>
                  <CodeDetails summary="Payload" text={prettyPayload(item.payload)} />
                </td>
                <td>
                  <InboundQueueStatusBadge status={item.status} />
                  {item.attempts > 0 && <div className="muted small">{item.attempts === 1 ? "1 attempt" : `${item.attempts} attempts`}</div>}
                </td>
                <td className="small cell-date">
                  <DateTime value={item.execute_at} />
                </td>
                <td className="cell-error cell-outcome small">
                  {item.error && (
                    <div className="text-danger">
                      <Ticks text={item.error} />
                    </div>
                  )}
                  {item.processed_at && (
                    <div className="muted">
                      Processed <DateTime value={item.processed_at} />
                    </div>
                  )}
                  {item.run_id && (
                    <Link to={`/runs/${item.run_id}`} className="small">
                      Run report
                    </Link>
                  )}
                </td>
                {mayAct && (
                  <td className="cell-actions">
                    <div className="actions-stack">
                      {actions.process && (
                        <button
                          type="button"
                          className="btn btn-sm btn-secondary"
                          onClick={() => processNow(item)}
                          disabled={busy !== null || following.has(item.id)}
                          aria-label={`Process now: ${what}`}
                        >
                          {busy === item.id ? "Working…" : following.has(item.id) ? "Processing…" : "Process now"}
                        </button>
                      )}
                      {actions.reactivate && (
                        <button type="button" className="btn btn-sm btn-secondary" onClick={() => reactivate(item)} disabled={busy !== null} aria-label={`Re-activate: ${what}`}>
                          Re-activate
                        </button>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            );
          })}
        </DataTable>
      </PagedCard>
    </>
  );
}
