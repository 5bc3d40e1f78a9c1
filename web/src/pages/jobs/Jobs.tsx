import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { api, call, type Run, type Schedule } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, useAsync, usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE, allIntegrations, byId } from "../../lib/data";
import { boolParam, useFilterParams, uuidParam } from "../../lib/filters";
import { hasScheduleMenu, scheduleLimitsHint, scheduleMenuItems, useCan } from "../../lib/permissions";
import { callsLabel, defaultScheduleValues, scheduleBody, scheduleChanges, scheduleToValues, timingLabel } from "../../lib/schedule";
import { PageHeader } from "../../components/PageHeader";
import { AdminOnlyHint, ErrorAlert, Notice } from "../../components/alerts";
import { Badge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";
import { FilterBool, Filters, IntegrationFilter } from "../../components/filters";
import { QueuedMessage } from "../../components/runs";
import { useConfirm } from "../../components/ConfirmDialog";
import { ScheduleForm } from "./ScheduleForm";
import { ScheduleMenu } from "./ScheduleMenu";

type Editing = { mode: "create" } | { mode: "edit"; schedule: Schedule } | null;

export function JobsPage() {
  useTitle("Jobs");
  const { timeZone } = useAuth();
  const can = useCan();
  const mayCreate = can("create_schedule");
  const mayEdit = can("edit_schedule");
  const limitsHint = scheduleLimitsHint(can);
  const [sp, setParam] = useFilterParams();
  const integrationId = uuidParam(sp, "integration");
  const active = boolParam(sp, "active");
  const integrations = useAsync(allIntegrations, []);
  const names = byId(integrations.data ?? []);
  const list = usePaged<Schedule>(
    (cursor) => call(api.GET("/api/v1/schedules", { params: { query: { integration_id: integrationId, active, limit: PAGE_SIZE, cursor } } })),
    [integrationId, active],
  );
  // `?new=1` (from an integration's page) opens the form at once.
  const [editing, setEditingState] = useState<Editing>(() => (sp.get("new") === "1" && mayCreate ? { mode: "create" } : null));
  const setEditing = (next: Editing) => {
    setEditingState(next);
    if (sp.has("new")) setParam("new", undefined);
  };
  const [message, setMessage] = useState<ReactNode>(null);
  const actions = useActions<string>();
  const busy = actions.busy;
  const [dialog, confirm] = useConfirm();

  const integrationName = (id: string) => names.get(id)?.name ?? (integrations.loading ? "…" : "unknown integration");

  const act = (s: Schedule, work: () => Promise<void>) =>
    actions.run(s.id, async () => {
      setMessage(null);
      await work();
    });

  const runNow = (s: Schedule) =>
    act(s, async () => {
      const run: Run = await call(api.POST("/api/v1/integrations/{id}/run", { params: { path: { id: s.integration_id } }, body: { full: s.params?.full === true } }));
      setMessage(<QueuedMessage run={run} />);
    });

  const cancelSchedule = async (s: Schedule) => {
    const ok = await confirm({
      title: "Cancel this schedule?",
      body: <p>{`${timingLabel(s)} for “${integrationName(s.integration_id)}” stops running. Runs already queued go on. ${mayEdit ? "You can" : "An admin can"} activate it again by editing it.`}</p>,
      confirmLabel: "Cancel schedule",
      danger: true,
    });
    if (!ok) return;
    await act(s, async () => {
      const updated = await call(api.POST("/api/v1/schedules/{id}/cancel", { params: { path: { id: s.id } } }));
      list.replace((x) => x.id === s.id, updated);
      setMessage("The schedule is cancelled: it no longer runs.");
    });
  };

  const deleteSchedule = async (s: Schedule) => {
    const ok = await confirm({
      title: "Delete this schedule?",
      body: <p>{`${timingLabel(s)} for “${integrationName(s.integration_id)}” is deleted. Its past runs and their reports stay.`}</p>,
      confirmLabel: "Delete schedule",
      danger: true,
    });
    if (!ok) return;
    await act(s, async () => {
      await call(api.DELETE("/api/v1/schedules/{id}", { params: { path: { id: s.id } } }));
      list.remove((x) => x.id === s.id);
      setMessage("The schedule is deleted.");
    });
  };

  const integrationList = integrations.data ?? [];

  return (
    <>
      {dialog}
      <PageHeader
        title="Jobs"
        subtitle="Schedules run each integration's sync at set times, in their own time zone."
        actions={
          mayCreate && !editing ? (
            <button type="button" className="btn btn-primary" onClick={() => setEditing({ mode: "create" })} disabled={!integrations.data}>
              New schedule
            </button>
          ) : undefined
        }
      />
      {limitsHint && <AdminOnlyHint>{limitsHint}</AdminOnlyHint>}
      {message && <Notice onDismiss={() => setMessage(null)}>{typeof message === "string" ? <Ticks text={message} /> : message}</Notice>}
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={integrations.error} />
      {editing && (editing.mode === "create" ? mayCreate : mayEdit) && (
        <ScheduleForm
          key={editing.mode === "edit" ? editing.schedule.id : "new"}
          mode={editing.mode}
          initial={editing.mode === "edit" ? scheduleToValues(editing.schedule) : defaultScheduleValues(timeZone, integrationId ?? (integrationList.length === 1 ? integrationList[0]!.id : ""))}
          integrations={integrationList}
          onCancel={() => setEditing(null)}
          onSubmit={async (v) => {
            if (editing.mode === "create") {
              const created = await call(api.POST("/api/v1/integrations/{id}/schedules", { params: { path: { id: v.integration_id } }, body: scheduleBody(v) }));
              setEditing(null);
              setMessage(created.next_run_at ? `Schedule created for “${integrationName(created.integration_id)}”.` : "Schedule created (inactive).");
              list.reload();
            } else {
              const body = scheduleChanges(scheduleToValues(editing.schedule), v);
              const updated = Object.keys(body).length ? await call(api.PATCH("/api/v1/schedules/{id}", { params: { path: { id: editing.schedule.id } }, body })) : editing.schedule;
              setEditing(null);
              list.replace((x) => x.id === updated.id, updated);
              setMessage(Object.keys(body).length ? "Schedule saved." : "Nothing changed.");
            }
          }}
        />
      )}
      <Filters label="Filter schedules">
        <IntegrationFilter integrations={integrationList} value={integrationId} onChange={(v) => setParam("integration", v)} />
        <FilterBool
          id="filter-active"
          label="State"
          value={active}
          onChange={(v) => setParam("active", v)}
          anyLabel="Active and cancelled"
          options={[
            [true, "Active"],
            [false, "Cancelled"],
          ]}
        />
      </Filters>
      <PagedCard
        list={list}
        loadingLabel="Loading schedules…"
        empty={
          <EmptyState
            title={integrationId || active !== undefined ? "No schedules match these filters" : "No schedules yet"}
            action={
              mayCreate && !editing && integrationList.length > 0 ? (
                <button type="button" className="btn btn-primary" onClick={() => setEditing({ mode: "create" })}>
                  Create a schedule
                </button>
              ) : undefined
            }
          >
            A schedule runs an integration's sync on a cron expression or every N minutes, hours or days.
          </EmptyState>
        }
      >
        <DataTable
          caption="Schedules"
          testId="schedules-table"
          columns={["Integration", "Runs", "Next run", "Last run", { label: "Priority", className: "num" }, "Calls", "State", hasScheduleMenu(can) && { label: "Actions", hidden: true }]}
        >
          {list.items.map((s) => (
            <tr key={s.id} className={s.active ? "" : "row-muted"} data-testid="schedule-row" data-schedule-id={s.id} data-active={s.active}>
              <td>
                <Link to={`/integrations/${s.integration_id}`}>{integrationName(s.integration_id)}</Link>
              </td>
              <td>
                <span className={s.cron ? "mono" : undefined}>{timingLabel(s)}</span>
                <div className="muted small">
                  {s.timezone}
                  {s.params?.full === true && " · full sync"}
                  {s.repeat_missed && " · catches up"}
                </div>
              </td>
              <td className="nowrap">
                <DateTime value={s.next_run_at} empty={s.active ? "—" : "not scheduled"} />
              </td>
              <td className="nowrap">
                <DateTime value={s.last_run_at} empty="never" />
              </td>
              <td className="num">{s.priority}</td>
              <td className="nowrap small">{callsLabel(s)}</td>
              <td>{s.active ? <Badge tone="success">Active</Badge> : <Badge tone="neutral">Cancelled</Badge>}</td>
              {hasScheduleMenu(can) && (
                <td className="cell-actions">
                  {busy === s.id && <span className="muted small" role="status">Working… </span>}
                  <ScheduleMenu
                    items={scheduleMenuItems(can, s)}
                    label={`Actions for the schedule ${timingLabel(s)} of ${integrationName(s.integration_id)}`}
                    busy={busy !== null}
                    onRun={() => runNow(s)}
                    onEdit={() => setEditing({ mode: "edit", schedule: s })}
                    onCancel={() => cancelSchedule(s)}
                    onDelete={() => deleteSchedule(s)}
                  />
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      </PagedCard>
    </>
  );
}
