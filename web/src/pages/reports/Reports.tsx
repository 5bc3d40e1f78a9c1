import { useEffect, useState } from "react";
import { Link } from "react-router";
import type { Run } from "../../api/client";
import type { ApiError } from "../../api/errors";
import { useAuth } from "../../auth/AuthContext";
import { useAsync, usePaged, useTitle } from "../../lib/hooks";
import { allIntegrations, runsPage } from "../../lib/data";
import { dayParam, dayRange, enumParam, useFilterParams, uuidParam } from "../../lib/filters";
import { RUN_STATUS, RUN_TRIGGER, keysOf } from "../../lib/labels";
import { isLive } from "../../lib/runs";
import { usePolling } from "../../lib/polling";
import { useCan } from "../../lib/permissions";
import { PageHeader } from "../../components/PageHeader";
import { Card } from "../../components/Card";
import { AdminOnlyHint, ErrorAlert } from "../../components/alerts";
import { IntegrationStateBadge } from "../../components/badges";
import { Loading } from "../../components/Loading";
import { EmptyState } from "../../components/EmptyState";
import { PagedCard } from "../../components/tables";
import { FilterDate, FilterSelect, Filters, IntegrationFilter } from "../../components/filters";
import { QueuedNotice, RunNowButtons, RunsTable } from "../../components/runs";
import "./reports.css";

export const LIVE_POLL_MS = 3000;

export function ReportsPage() {
  useTitle("Reports");
  const { timeZone } = useAuth();
  const can = useCan();
  const [sp, setParam] = useFilterParams();
  const integrations = useAsync(allIntegrations, []);
  const integrationId = uuidParam(sp, "integration");
  const status = enumParam(sp, "status", RUN_STATUS);
  const trigger = enumParam(sp, "trigger", RUN_TRIGGER);
  const fromDay = dayParam(sp, "from");
  const toDay = dayParam(sp, "to");
  const range = dayRange(fromDay, toDay, timeZone);
  const [queued, setQueued] = useState<Run | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);

  // With no integration picked, show the first one's runs.
  const list = integrations.data;
  useEffect(() => {
    if (!integrationId && list && list.length > 0) setParam("integration", list[0]!.id);
  }, [integrationId, list, setParam]);
  const integration = list?.find((i) => i.id === integrationId);

  const runs = usePaged<Run>(
    (cursor) => (integrationId && !range.error ? runsPage(integrationId, { status, trigger, from: range.from, to: range.to }, cursor) : Promise.resolve({ items: [], next_cursor: null })),
    [integrationId, status, trigger, range.from, range.to, range.error],
  );
  usePolling(runs.refresh, LIVE_POLL_MS, runs.items.some((r) => isLive(r.status)));

  const filtered = !!(status || trigger || fromDay || toDay);

  return (
    <>
      <PageHeader
        title="Reports"
        subtitle={`What each run read, filtered, wrote and failed. Times in ${timeZone}.`}
        actions={
          integration ? (
            <RunNowButtons
              integration={integration}
              onError={setActionError}
              onQueued={(r) => {
                setQueued(r);
                void runs.refresh();
              }}
            />
          ) : undefined
        }
      />
      {!can("run_now") && <AdminOnlyHint>Only admins can start, cancel, resume or replay runs.</AdminOnlyHint>}
      <QueuedNotice run={queued} onDismiss={() => setQueued(null)} />
      <ErrorAlert error={actionError} onDismiss={() => setActionError(null)} />
      <ErrorAlert error={integrations.error} />
      {integrations.loading && <Loading label="Loading integrations…" />}
      {list && list.length === 0 && (
        <Card>
          <EmptyState title="No integrations yet">
            Runs appear here once an <Link to="/integrations">integration</Link> has run.
          </EmptyState>
        </Card>
      )}
      {list && list.length > 0 && (
        <>
          <Filters label="Filter runs">
            <IntegrationFilter integrations={list} value={integrationId} onChange={(v) => setParam("integration", v)} anyLabel={integrationId ? null : "Choose…"} testId="reports-integration" />
            <FilterSelect id="filter-status" label="Status" value={status ?? ""} onChange={(v) => setParam("status", v)} options={keysOf(RUN_STATUS).map((k) => ({ value: k, label: RUN_STATUS[k] }))} />
            <FilterSelect id="filter-trigger" label="Type" value={trigger ?? ""} onChange={(v) => setParam("trigger", v)} options={keysOf(RUN_TRIGGER).map((k) => ({ value: k, label: RUN_TRIGGER[k] }))} />
            <FilterDate id="filter-from" label="From (day)" value={fromDay ?? ""} onChange={(v) => setParam("from", v)} />
            <FilterDate id="filter-to" label="To (day)" value={toDay ?? ""} onChange={(v) => setParam("to", v)} error={range.error} />
          </Filters>
          {integration && (
            <p className="muted small list-context">
              <Link to={`/integrations/${integration.id}`}>{integration.name}</Link> <IntegrationStateBadge state={integration.state} />
              {" · "}
              <Link to={`/jobs?integration=${integration.id}`}>Schedules</Link>
              {" · "}
              <Link to={`/logs?integration=${integration.id}`}>Logs</Link>
            </p>
          )}
          <PagedCard
            list={runs}
            loadingLabel="Loading runs…"
            empty={
              !integrationId ? (
                <EmptyState title="Pick an integration">Its runs are listed here, newest first.</EmptyState>
              ) : (
                <EmptyState title={filtered ? "No runs match these filters" : "No runs yet"}>
                  {filtered ? "Change or clear the filters above." : "Runs start on a schedule, from the source's webhooks, or with Run now."}
                </EmptyState>
              )
            }
          >
            <RunsTable runs={runs.items} caption={`Runs of ${integration?.name ?? "the integration"}`} />
          </PagedCard>
        </>
      )}
    </>
  );
}
