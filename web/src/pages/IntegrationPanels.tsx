// The parts of an integration's page beyond its settings: recent runs (with Run now), schedules, the webhook URL,
// and the integration dates.

import { useState } from "react";
import { Link } from "react-router";
import { api, call, type ConnectorInfo, type Integration, type IntegrationDates, type Registration, type Run } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import { useAuth } from "../auth/AuthContext";
import { useAsync } from "../lib/hooks";
import { runsPage } from "../lib/data";
import { dateLabel, datesChanges, draftsFrom, type DateDrafts } from "../lib/integrationDates";
import { isLive } from "../lib/runs";
import { usePolling } from "../lib/polling";
import { useCan } from "../lib/permissions";
import { timingLabel } from "../lib/schedule";
import { AdminOnlyHint, Badge, Card, CopyButton, DateTime, EmptyState, ErrorAlert, Loading, Notice, Ticks } from "../components/ui";
import { FieldShell, FormActions, fieldId } from "../components/fields";
import { useApiForm } from "../components/useApiForm";
import { QueuedMessage, RunNowButtons, RunsTable } from "../components/runs";
import { useConfirm } from "../components/ConfirmDialog";

const RECENT_RUNS = 5;

export function RecentRunsCard({ integration }: { integration: Integration }) {
  const runs = useAsync(async () => (await runsPage(integration.id, {}, undefined, RECENT_RUNS)).items, [integration.id]);
  const [queued, setQueued] = useState<Run | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const refresh = async () => {
    try {
      runs.setData((await runsPage(integration.id, {}, undefined, RECENT_RUNS)).items);
    } catch (e) {
      setError(toApiError(e));
    }
  };
  usePolling(refresh, 3000, (runs.data ?? []).some((r) => isLive(r.status)));
  return (
    <Card
      title="Recent runs"
      actions={
        <>
          <RunNowButtons
            integration={integration}
            onError={setError}
            onQueued={(r) => {
              setQueued(r);
              void refresh();
            }}
          />
          <Link className="btn btn-ghost" to={`/reports?integration=${integration.id}`}>
            All runs →
          </Link>
        </>
      }
    >
      {queued && (
        <Notice onDismiss={() => setQueued(null)}>
          <QueuedMessage run={queued} />
        </Notice>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      <ErrorAlert error={runs.error} />
      {runs.loading && !runs.data ? (
        <Loading label="Loading runs…" />
      ) : runs.data && runs.data.length === 0 ? (
        <EmptyState title="No runs yet">{integration.state === "inactive" ? "Enable the integration, then run it now or give it a schedule." : "Run it now, or give it a schedule."}</EmptyState>
      ) : runs.data ? (
        <RunsTable runs={runs.data} caption="Recent runs" compact />
      ) : null}
    </Card>
  );
}

export function SchedulesCard({ integration }: { integration: Integration }) {
  const can = useCan();
  const schedules = useAsync(() => call(api.GET("/api/v1/integrations/{id}/schedules", { params: { path: { id: integration.id }, query: { limit: 50 } } })), [integration.id]);
  const items = schedules.data?.items ?? [];
  return (
    <Card
      title="Schedules"
      actions={
        <>
          {can("create_schedule") && (
            <Link className="btn btn-secondary" to={`/jobs?integration=${integration.id}&new=1`}>
              New schedule
            </Link>
          )}
          <Link className="btn btn-ghost" to={`/jobs?integration=${integration.id}`}>
            Manage in Jobs →
          </Link>
        </>
      }
    >
      <ErrorAlert error={schedules.error} />
      {schedules.loading ? (
        <Loading label="Loading schedules…" />
      ) : items.length === 0 && !schedules.error ? (
        <p className="muted">No schedules: it runs only when started by hand or by the source's webhooks.</p>
      ) : (
        <ul className="plain-list">
          {items.map((s) => (
            <li key={s.id} className="schedule-line">
              <span className={s.cron ? "mono" : undefined}>{timingLabel(s)}</span> <span className="muted small">{s.timezone}</span>{" "}
              {s.active ? (
                <span className="small">
                  next <DateTime value={s.next_run_at} />
                </span>
              ) : (
                <Badge tone="neutral">Cancelled</Badge>
              )}
            </li>
          ))}
          {schedules.data?.next_cursor && <li className="muted small">More in Jobs.</li>}
        </ul>
      )}
    </Card>
  );
}

export function WebhookCard({ integration, source, onChange }: { integration: Integration; source: ConnectorInfo | undefined; onChange: (i: Integration) => void }) {
  const can = useCan();
  const [busy, setBusy] = useState<"register" | "rotate" | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [registration, setRegistration] = useState<Registration | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [dialog, confirm] = useConfirm();
  const sourceCanPush = source?.webhooks !== false;
  const delay = integration.settings.webhook_delay_seconds;

  const register = async () => {
    setBusy("register");
    setError(null);
    setMessage(null);
    setRegistration(null);
    try {
      setRegistration(await call(api.POST("/api/v1/integrations/{id}/webhooks/register", { params: { path: { id: integration.id } } })));
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(null);
    }
  };

  const rotate = async () => {
    const ok = await confirm({
      title: "Rotate the webhook token?",
      body: <p>The current URL stops working at once. Deliveries the source sends to it are refused until it has the new URL: register again, or enter it in the source by hand.</p>,
      confirmLabel: "Rotate token",
      danger: true,
    });
    if (!ok) return;
    setBusy("rotate");
    setError(null);
    setMessage(null);
    setRegistration(null);
    try {
      onChange(await call(api.POST("/api/v1/integrations/{id}/webhooks/rotate-token", { params: { path: { id: integration.id } } })));
      setMessage("The token is rotated: the webhook URL below is new. Give it to the source (Register with the source, or by hand).");
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title="Webhook">
      {dialog}
      <p className="muted small card-intro">
        {sourceCanPush
          ? `The source posts changes to this URL and each person is synced in real time${delay !== undefined ? `, ${delay} s after the last event about them` : ""}. Every delivery is kept in the Queue until it is processed.`
          : `${source?.name ?? "The source"} cannot send webhooks: this integration runs on schedules and on demand.`}
      </p>
      {message && (
        <Notice onDismiss={() => setMessage(null)}>
          <Ticks text={message} />
        </Notice>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {!can("manage_webhooks") ? (
        <AdminOnlyHint>The webhook URL carries the integration's secret, so only admins see it.</AdminOnlyHint>
      ) : integration.webhook_url ? (
        <>
          <div className="secret-row">
            <label htmlFor="webhook-url" className="sr-only">
              Webhook URL
            </label>
            <input id="webhook-url" className="input mono" readOnly value={integration.webhook_url} onFocus={(e) => e.target.select()} spellCheck={false} data-testid="webhook-url" />
            <CopyButton text={integration.webhook_url} label="Copy URL" />
          </div>
          <div className="form-actions">
            {sourceCanPush && (
              <button type="button" className="btn btn-secondary" onClick={register} disabled={busy !== null} title="Register this URL with the source through its API, or get what to enter by hand">
                {busy === "register" ? "Registering…" : "Register with the source"}
              </button>
            )}
            <button type="button" className="btn btn-danger-outline" onClick={rotate} disabled={busy !== null}>
              {busy === "rotate" ? "Rotating…" : "Rotate token"}
            </button>
          </div>
          {registration && <RegistrationResult registration={registration} />}
        </>
      ) : (
        <p className="muted">The API gave no webhook URL for this integration.</p>
      )}
    </Card>
  );
}

function RegistrationResult({ registration: r }: { registration: Registration }) {
  const events = r.events.length ? r.events.join(", ") : "all";
  if (r.mode === "registered") {
    return (
      <Notice>
        Registered with the source (its webhook id <code>{r.webhook_id}</code>) for these events: {events}.
      </Notice>
    );
  }
  return (
    <div className="alert alert-info" role="status" data-testid="webhook-manual">
      <div className="alert-body">
        <strong>Enter the URL in the source by hand.</strong>
        <p>
          <Ticks text={r.instructions} />
        </p>
        <p>
          URL: <code>{r.url}</code> <CopyButton text={r.url} label="Copy URL" />
        </p>
        <p>Events: {events}</p>
      </div>
    </div>
  );
}

export function IntegrationDatesCard({ integration }: { integration: Integration }) {
  const { timeZone } = useAuth();
  const can = useCan();
  const dates = useAsync(() => call(api.GET("/api/v1/integrations/{id}/dates", { params: { path: { id: integration.id } } })), [integration.id]);
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const d = dates.data;
  return (
    <Card
      title="Integration dates"
      actions={
        d && can("edit_dates") && !editing ? (
          <button type="button" className="btn btn-secondary" onClick={() => setEditing(true)}>
            Edit dates
          </button>
        ) : undefined
      }
    >
      {message && (
        <Notice onDismiss={() => setMessage(null)}>
          <Ticks text={message} />
        </Notice>
      )}
      <ErrorAlert error={dates.error} />
      {dates.loading && !d && <Loading />}
      {d && (editing ? (
        <DatesForm
          dates={d}
          integrationId={integration.id}
          timeZone={timeZone}
          onCancel={() => setEditing(false)}
          onSaved={(next, changed) => {
            dates.setData(next);
            setEditing(false);
            setMessage(changed ? "Dates saved. The next run reads from them." : "Nothing changed.");
          }}
        />
      ) : (
        <DatesView dates={d} timeZone={timeZone} />
      ))}
      {d && !can("edit_dates") && <AdminOnlyHint>Only admins can change integration dates.</AdminOnlyHint>}
    </Card>
  );
}

function DatesView({ dates: d, timeZone }: { dates: IntegrationDates; timeZone: string }) {
  return (
    <dl className="deflist">
      {d.items.map((x) => (
        <div key={x.name} className="deflist-row">
          <dt>{dateLabel(x.name)}</dt>
          <dd>
            <DateTime value={x.value} timeZone={timeZone} empty="not set: the next run reads everyone" />
            {x.updated_at && (
              <span className="muted small">
                {" "}
                (changed <DateTime value={x.updated_at} timeZone={timeZone} />)
              </span>
            )}
            <div className="muted small">
              <Ticks text={x.description} />
            </div>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function DatesForm({
  dates,
  integrationId,
  timeZone,
  onCancel,
  onSaved,
}: {
  dates: IntegrationDates;
  integrationId: string;
  timeZone: string;
  onCancel: () => void;
  onSaved: (next: IntegrationDates, changed: boolean) => void;
}) {
  const [drafts, setDrafts] = useState<DateDrafts>(() => draftsFrom(dates, timeZone));
  const [dialog, confirm] = useConfirm();
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: drafts,
    validate: (d) => datesChanges(dates, d, timeZone).errors,
    known: dates.items.map((x) => x.name),
    onSubmit: async (d) => {
      const { body } = datesChanges(dates, d, timeZone);
      if (Object.keys(body).length === 0) return onSaved(dates, false);
      const ok = await confirm({ title: "Change the integration dates?", body: <p><Ticks text={dates.warning} /></p>, confirmLabel: "Save dates", danger: true });
      if (ok) onSaved(await call(api.PUT("/api/v1/integrations/{id}/dates", { params: { path: { id: integrationId } }, body })), true);
    },
  });

  return (
    <>
      {dialog}
      <form ref={formRef} onSubmit={submit} noValidate aria-label="Edit integration dates">
        <Notice tone="warning">
          <Ticks text={dates.warning} />
        </Notice>
        {dates.items.map((x) => (
          <FieldShell key={x.name} id={fieldId(`dates.${x.name}`)} label={`${dateLabel(x.name)} (${timeZone})`} help={x.description} error={errors[x.name]}>
            {(aria) => (
              <div className="input-row">
                <input
                  {...aria}
                  name={x.name}
                  type="datetime-local"
                  className="input"
                  value={drafts[x.name] ?? ""}
                  onChange={(e) => setDrafts((prev) => ({ ...prev, [x.name]: e.target.value }))}
                />
                <button type="button" className="btn btn-sm btn-ghost" onClick={() => setDrafts((prev) => ({ ...prev, [x.name]: "" }))} disabled={!drafts[x.name]} aria-label={`Clear ${dateLabel(x.name).toLowerCase()}`}>
                  Clear
                </button>
              </div>
            )}
          </FieldShell>
        ))}
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label="Save dates" onCancel={onCancel} />
      </form>
    </>
  );
}
