// An integration's webhook URL: copy, register with the source, rotate the token.

import { useState } from "react";
import { api, call, type ConnectorInfo, type Integration, type Registration } from "../../api/client";
import { useActions } from "../../lib/hooks";
import { useCan } from "../../lib/permissions";
import { Card } from "../../components/Card";
import { AdminOnlyHint, ErrorAlert, Notice, TextNotice } from "../../components/alerts";
import { Ticks } from "../../components/Ticks";
import { CopyButton } from "../../components/CopyButton";
import { useConfirm } from "../../components/ConfirmDialog";
import "./integrations.css";

export function WebhookCard({ integration, source, onChange }: { integration: Integration; source: ConnectorInfo | undefined; onChange: (i: Integration) => void }) {
  const can = useCan();
  const actions = useActions<"register" | "rotate">();
  const busy = actions.busy;
  const [registration, setRegistration] = useState<Registration | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [dialog, confirm] = useConfirm();
  const sourceCanPush = source?.webhooks !== false;
  const delay = integration.settings.webhook_delay_seconds;

  const register = async () => {
    await actions.run("register", async () => {
      setMessage(null);
      setRegistration(null);
      setRegistration(await call(api.POST("/api/v1/integrations/{id}/webhooks/register", { params: { path: { id: integration.id } } })));
    });
  };

  const rotate = async () => {
    const ok = await confirm({
      title: "Rotate the webhook token?",
      body: <p>The current URL stops working at once. Deliveries the source sends to it are refused until it has the new URL: register again, or enter it in the source by hand.</p>,
      confirmLabel: "Rotate token",
      danger: true,
    });
    if (!ok) return;
    await actions.run("rotate", async () => {
      setMessage(null);
      setRegistration(null);
      onChange(await call(api.POST("/api/v1/integrations/{id}/webhooks/rotate-token", { params: { path: { id: integration.id } } })));
      setMessage("The token is rotated: the webhook URL below is new. Give it to the source (Register with the source, or by hand).");
    });
  };

  return (
    <Card title="Webhook">
      {dialog}
      <p className="muted small card-intro">
        {sourceCanPush
          ? `The source posts changes to this URL and each person is synced in real time${delay !== undefined ? `, ${delay} s after the last event about them` : ""}. Every delivery is kept in the Queue until it is processed.`
          : `${source?.name ?? "The source"} cannot send webhooks: this integration runs on schedules and on demand.`}
      </p>
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
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
