import { useState } from "react";
import { Link } from "react-router";
import type { Connection, ConnectorInfo, Run, Schedule } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { useAsync, useTitle } from "../lib/hooks";
import { allConnections, allIntegrations, allSchedules, byId, latestRun, loadConnectors, connectorName, nextRunByIntegration } from "../lib/data";
import { isLive } from "../lib/runs";
import { usePolling } from "../lib/polling";
import { timingLabel } from "../lib/schedule";
import { PageHeader } from "../components/PageHeader";
import { Card } from "../components/Card";
import { ErrorAlert } from "../components/alerts";
import { ConnectionStatusBadge, IntegrationStateBadge, RunStatusBadge } from "../components/badges";
import { DateTime } from "../components/DateTime";
import { Loading } from "../components/Loading";
import { EmptyState } from "../components/EmptyState";
import { ArrowIcon } from "../components/icons";
import { INTEGRATION_KIND, INTEGRATION_STATE_HELP } from "../lib/labels";
import "./Overview.css";

const OVERVIEW_POLL_MS = 5000;

interface Activity {
  latest: Map<string, Run | null>;
  next: Map<string, Schedule>;
}

/** The last run and the next scheduled run of every integration. */
async function loadActivity(integrationIds: readonly string[]): Promise<Activity> {
  const [schedules, runs] = await Promise.all([allSchedules({ active: true }), Promise.all(integrationIds.map(latestRun))]);
  return { latest: new Map(integrationIds.map((id, n) => [id, runs[n] ?? null])), next: nextRunByIntegration(schedules) };
}

function LastRun({ run }: { run: Run | null | undefined }) {
  if (run === undefined) return <span className="muted">…</span>;
  if (run === null) return <span className="muted">never run</span>;
  return (
    <span className="state-line">
      <RunStatusBadge run={run} />
      <Link to={`/runs/${run.id}`}>Run #{run.number}</Link>
      <span className="muted small">
        <DateTime value={run.finished_at ?? run.started_at ?? run.queued_at} />
      </span>
    </span>
  );
}

/** One end of an integration's tile: the connection, its connector and status. */
function TileConnection({ connection: c, connectors, unknown }: { connection: Connection | undefined; connectors: readonly ConnectorInfo[]; unknown: string }) {
  return (
    <span className="tile-conn">
      {c ? (
        <>
          <Link to={`/connections/${c.id}`}>{c.name}</Link>
          <span className="muted small">{connectorName(connectors, c.connector)}</span>
          <ConnectionStatusBadge status={c.status} />
        </>
      ) : (
        <span className="muted">{unknown}</span>
      )}
    </span>
  );
}

export function Overview() {
  useTitle("Overview");
  const { me, isAdmin } = useAuth();
  const data = useAsync(async () => {
    const [integrations, connections, connectors] = await Promise.all([allIntegrations(), allConnections(), loadConnectors()]);
    return { integrations, connections, connectors };
  }, []);
  const [pollError, setPollError] = useState<ApiError | null>(null);
  const ids = data.data?.integrations.map((i) => i.id) ?? [];
  const activity = useAsync(() => (data.data ? loadActivity(ids) : Promise.resolve(undefined)), [data.data ? ids.join(",") : null]);
  const liveIds = ids.filter((id) => {
    const r = activity.data?.latest.get(id);
    return r && isLive(r.status);
  });
  usePolling(
    async () => {
      try {
        const fresh = await Promise.all(liveIds.map(latestRun));
        activity.setData((prev) => {
          const latest = new Map(prev?.latest);
          liveIds.forEach((id, n) => latest.set(id, fresh[n] ?? null));
          return { latest, next: prev?.next ?? new Map() };
        });
        setPollError(null);
      } catch (e) {
        setPollError(toApiError(e));
      }
    },
    OVERVIEW_POLL_MS,
    liveIds.length > 0,
  );

  const d = data.data;
  const connMap = d ? byId(d.connections) : new Map();
  const counts = d
    ? {
        active: d.integrations.filter((i) => i.state === "active").length,
        test: d.integrations.filter((i) => i.state === "test").length,
        inactive: d.integrations.filter((i) => i.state === "inactive").length,
        connected: d.connections.filter((c) => c.status === "connected").length,
        error: d.connections.filter((c) => c.status === "error").length,
        disconnected: d.connections.filter((c) => c.status === "disconnected").length,
      }
    : null;
  const lastRuns = activity.data ? [...activity.data.latest.values()].filter((r): r is Run => !!r) : [];
  const runCounts = {
    running: lastRuns.filter((r) => isLive(r.status)).length,
    complete: lastRuns.filter((r) => r.status === "done").length,
    trouble: lastRuns.filter((r) => r.status === "failed" || r.status === "partial").length,
  };

  return (
    <>
      <PageHeader title="Overview" subtitle={me ? `${me.organisation.name} · times in ${me.organisation.timezone}` : undefined} />
      <ErrorAlert error={data.error} />
      <ErrorAlert error={activity.error} />
      <ErrorAlert error={pollError} />
      {data.loading && !d && <Loading />}
      {d && counts && (
        <>
          <div className="stats" aria-label="Summary">
            <Link to="/integrations" className="stat">
              <span className="stat-value">{d.integrations.length}</span>
              <span className="stat-label">Integrations</span>
              <span className="stat-detail">
                {counts.active} active · {counts.test} test · {counts.inactive} inactive
              </span>
            </Link>
            <Link to="/connections" className="stat">
              <span className="stat-value">{d.connections.length}</span>
              <span className="stat-label">Connections</span>
              <span className="stat-detail">
                {counts.connected} connected · {counts.disconnected} not tested · <span className={counts.error ? "text-danger" : ""}>{counts.error} with errors</span>
              </span>
            </Link>
            <Link to="/reports" className="stat">
              <span className="stat-value">{activity.data ? runCounts.trouble : "…"}</span>
              <span className="stat-label">Last runs with errors</span>
              <span className="stat-detail">
                {runCounts.complete} complete · {runCounts.running} running · <span className={runCounts.trouble ? "text-danger" : ""}>{runCounts.trouble} partial or ERROR</span>
              </span>
            </Link>
          </div>

          <Card
            title="Integrations"
            actions={
              isAdmin ? (
                <Link className="btn btn-primary" to="/integrations/new">
                  New integration
                </Link>
              ) : undefined
            }
          >
            {d.integrations.length === 0 ? (
              <EmptyState title="No integrations yet">
                {d.connections.length === 0 ? (
                  <ol className="steps">
                    <li>
                      Add a <strong>source</strong> connection (your HR system) and a <strong>target</strong> connection (learning platform, identity provider, ERP) under{" "}
                      <Link to="/connections">Connections</Link>, and test them.
                    </li>
                    <li>
                      Create an integration that joins them under <Link to="/integrations">Integrations</Link>.
                    </li>
                    <li>Enable it: it starts in test mode or goes live, depending on this instance.</li>
                  </ol>
                ) : (
                  <p>
                    You have {d.connections.length} connection{d.connections.length === 1 ? "" : "s"}. Join a source and a target in an integration.
                  </p>
                )}
              </EmptyState>
            ) : (
              <ul className="integration-tiles">
                {d.integrations.map((i) => {
                  const src = connMap.get(i.source_connection_id);
                  const tgt = connMap.get(i.target_connection_id);
                  const next = activity.data?.next.get(i.id);
                  return (
                    <li key={i.id} className={`tile tile-${i.state}`} data-testid="integration-tile" data-integration-id={i.id}>
                      <div className="tile-head">
                        <Link to={`/integrations/${i.id}`} className="tile-title">
                          {i.name}
                        </Link>
                        <IntegrationStateBadge state={i.state} />
                      </div>
                      <p className="tile-kind muted">{INTEGRATION_KIND[i.kind]} · {INTEGRATION_STATE_HELP[i.state]}</p>
                      <div className="tile-flow">
                        <TileConnection connection={src} connectors={d.connectors} unknown="Unknown source" />
                        <span className="tile-arrow" aria-label="syncs to">
                          <ArrowIcon />
                        </span>
                        <TileConnection connection={tgt} connectors={d.connectors} unknown="Unknown target" />
                      </div>
                      <dl className="tile-activity">
                        <div>
                          <dt>Last run</dt>
                          <dd data-testid="tile-last-run">
                            <LastRun run={activity.data ? activity.data.latest.get(i.id) ?? null : undefined} />
                          </dd>
                        </div>
                        <div>
                          <dt>Next run</dt>
                          <dd data-testid="tile-next-run">
                            {!activity.data ? (
                              <span className="muted">…</span>
                            ) : next ? (
                              <>
                                <DateTime value={next.next_run_at} /> <span className="muted small">({timingLabel(next)})</span>
                              </>
                            ) : (
                              <span className="muted">
                                no active schedule · <Link to={`/jobs?integration=${i.id}`}>Jobs</Link>
                              </span>
                            )}
                          </dd>
                        </div>
                      </dl>
                      <p className="tile-foot muted small">
                        <Link to={`/reports?integration=${i.id}`}>Reports</Link> · Updated <DateTime value={i.updated_at} />
                      </p>
                    </li>
                  );
                })}
              </ul>
            )}
          </Card>

          {d.connections.some((c) => c.status === "error") && (
            <Card title="Connections that need attention">
              <ul className="plain-list">
                {d.connections
                  .filter((c) => c.status === "error")
                  .map((c) => (
                    <li key={c.id}>
                      <Link to={`/connections/${c.id}`}>{c.name}</Link> <ConnectionStatusBadge status={c.status} />
                      <span className="text-danger small"> {c.last_error}</span>{" "}
                      <span className="muted small">
                        (checked <DateTime value={c.checked_at} />)
                      </span>
                    </li>
                  ))}
              </ul>
            </Card>
          )}

          <nav aria-label="Shortcuts" className="shortcuts">
            <Link to="/connections" className="shortcut">
              <strong>Connections</strong>
              <span>Accounts of your HR system and targets; test them here.</span>
            </Link>
            <Link to="/integrations" className="shortcut">
              <strong>Integrations</strong>
              <span>What syncs where, with which rules; enable or disable.</span>
            </Link>
            <Link to="/jobs" className="shortcut">
              <strong>Jobs</strong>
              <span>Schedules: when each integration runs.</span>
            </Link>
            <Link to="/reports" className="shortcut">
              <strong>Reports</strong>
              <span>Every run, and what happened to every person.</span>
            </Link>
            <Link to="/logs" className="shortcut">
              <strong>Logs</strong>
              <span>What the hub did and what went wrong.</span>
            </Link>
            <Link to="/queue" className="shortcut">
              <strong>Queue</strong>
              <span>Webhook events waiting or failed.</span>
            </Link>
            {isAdmin && (
              <>
                <Link to="/settings/users" className="shortcut">
                  <strong>Users</strong>
                  <span>Who can sign in, and with which role.</span>
                </Link>
                <Link to="/settings/api-keys" className="shortcut">
                  <strong>API keys</strong>
                  <span>Keys for scripts using the REST API.</span>
                </Link>
              </>
            )}
          </nav>
        </>
      )}
    </>
  );
}
