import { Link } from "react-router";
import { api, call, fetchAll, type LogEntry } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, useAsync, usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE, allIntegrations, byId } from "../../lib/data";
import { boolParam, enumParam, useFilterParams, uuidParam } from "../../lib/filters";
import { LOG_LEVEL, keysOf } from "../../lib/labels";
import { useCan } from "../../lib/permissions";
import { PageHeader } from "../../components/PageHeader";
import { ErrorAlert } from "../../components/alerts";
import { LogLevelBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";
import { CodeDetails } from "../../components/CodeDetails";
import { FilterBool, FilterSelect, Filters, IntegrationFilter } from "../../components/filters";
import "./logs.css";

/** The level filter is one select: `min:warning` (warning or worse) or `eq:info` (only info). */
function levelValue(min: string | undefined, exact: string | undefined): string {
  return exact ? `eq:${exact}` : min ? `min:${min}` : "";
}

export function LogsPage() {
  useTitle("Logs");
  const { me } = useAuth();
  const can = useCan();
  const [sp, setParam] = useFilterParams();
  const minLevel = enumParam(sp, "min_level", LOG_LEVEL);
  const level = enumParam(sp, "level", LOG_LEVEL);
  const integrationId = uuidParam(sp, "integration");
  const runId = uuidParam(sp, "run");
  const checked = boolParam(sp, "checked");
  const integrations = useAsync(allIntegrations, []);
  const names = byId(integrations.data ?? []);
  // Who checked an entry: the organisation's users by id (only admins may list them; others see "you" or "a user").
  const mayListUsers = can("list_users");
  const users = useAsync(
    () => (mayListUsers ? fetchAll((cursor) => call(api.GET("/api/v1/users", { params: { query: { limit: 200, cursor } } }))) : Promise.resolve([])),
    [mayListUsers],
  );
  const userNames = byId(users.data ?? []);
  const list = usePaged<LogEntry>(
    (cursor) =>
      call(
        api.GET("/api/v1/logs", {
          params: { query: { level, min_level: level ? undefined : minLevel, integration_id: integrationId, run_id: runId, checked, limit: PAGE_SIZE, cursor } },
        }),
      ),
    [level, minLevel, integrationId, runId, checked],
  );
  const actions = useActions<string>();
  const busy = actions.busy;

  const setLevel = (v: string) => {
    const [kind, value] = v.split(":");
    setParam({ min_level: kind === "min" ? value : undefined, level: kind === "eq" ? value : undefined });
  };

  const markChecked = async (entry: LogEntry) => {
    await actions.run(entry.id, async () => {
      const updated = await call(api.POST("/api/v1/logs/{id}/check", { params: { path: { id: entry.id } } }));
      // Showing only unchecked entries: a checked one leaves the list.
      if (checked === false) list.remove((x) => x.id === entry.id);
      else list.replace((x) => x.id === entry.id, updated);
    });
  };

  const checkedBy = (e: LogEntry) => {
    if (!e.checked_by) return "";
    if (e.checked_by === me?.id) return "you";
    return userNames.get(e.checked_by)?.name ?? "a user";
  };

  const filtered = !!(minLevel || level || integrationId || runId || checked !== undefined);

  return (
    <>
      <PageHeader
        title="Logs"
        subtitle="What the hub did and what went wrong, newest first. Mark entries checked once someone has looked at them."
        actions={
          <button type="button" className="btn btn-secondary" onClick={() => void list.refresh()}>
            Refresh
          </button>
        }
      />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={integrations.error} />
      <ErrorAlert error={users.error} />
      <Filters label="Filter log entries">
        <FilterSelect
          id="filter-level"
          label="Level"
          value={levelValue(minLevel, level)}
          onChange={setLevel}
          anyLabel="Any level"
          groups={[
            { label: "At least", options: keysOf(LOG_LEVEL).slice(1).map((k) => ({ value: `min:${k}`, label: `${LOG_LEVEL[k]} or worse` })) },
            { label: "Only", options: keysOf(LOG_LEVEL).map((k) => ({ value: `eq:${k}`, label: `Only ${LOG_LEVEL[k].toLowerCase()}` })) },
          ]}
          testId="logs-level"
        />
        <IntegrationFilter integrations={integrations.data} value={integrationId} onChange={(v) => setParam("integration", v)} testId="logs-integration" />
        <FilterBool
          id="filter-checked"
          label="Checked"
          value={checked}
          onChange={(v) => setParam("checked", v)}
          anyLabel="Checked or not"
          options={[
            [false, "Not checked yet"],
            [true, "Checked"],
          ]}
        />
        {runId && (
          <div className="filter filter-chip">
            <span className="filter-label">Run</span>
            <span>
              <Link to={`/runs/${runId}`}>One run</Link>{" "}
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => setParam("run", undefined)}>
                Show all runs
              </button>
            </span>
          </div>
        )}
      </Filters>
      <PagedCard
        list={list}
        loadingLabel="Loading log entries…"
        empty={<EmptyState title={filtered ? "No entries match these filters" : "The log is empty"}>{filtered ? "Change or clear the filters above." : "Runs, webhooks and changes by hand write here."}</EmptyState>}
      >
        <DataTable caption="Log entries" testId="logs-table" columns={["When", "Level", "Message", "About", "Checked"]}>
          {list.items.map((e) => (
            <tr key={e.id} data-testid="log-row" data-level={e.level} data-checked={e.checked} className={e.checked ? "row-muted" : ""}>
              <td className="nowrap small">
                <DateTime value={e.created_at} />
              </td>
              <td>
                <LogLevelBadge level={e.level} />
              </td>
              <td className="cell-message">
                <span id={`log-msg-${e.id}`}>
                  <Ticks text={e.message} />
                </span>
                {e.details && Object.keys(e.details).length > 0 && <CodeDetails summary="Details" text={JSON.stringify(e.details, null, 2)} />}
              </td>
              <td className="small">
                {e.integration_id && (
                  <div>
                    <Link to={`/integrations/${e.integration_id}`}>{names.get(e.integration_id)?.name ?? "Integration"}</Link>
                  </div>
                )}
                {e.run_id && (
                  <div>
                    <Link to={`/runs/${e.run_id}`}>Run report</Link>
                  </div>
                )}
                {e.source_id && <div className="muted mono" title="The person's id in the source">{e.source_id}</div>}
              </td>
              <td className="nowrap small">
                {e.checked ? (
                  <span>
                    ✓ <DateTime value={e.checked_at} />
                    {checkedBy(e) && <span className="muted"> by {checkedBy(e)}</span>}
                  </span>
                ) : can("check_logs") ? (
                  <button type="button" className="btn btn-sm btn-secondary" onClick={() => markChecked(e)} disabled={busy !== null} aria-describedby={`log-msg-${e.id}`}>
                    {busy === e.id ? "Marking…" : "Mark checked"}
                  </button>
                ) : (
                  <span className="muted">not yet</span>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      </PagedCard>
    </>
  );
}
