import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, call, type Integration } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, useAsync, useTitle } from "../../lib/hooks";
import { allConnections, byId, connectorName, loadConnectors } from "../../lib/data";
import { INTEGRATION_KIND, INTEGRATION_STATE, INTEGRATION_STATE_HELP } from "../../lib/labels";
import { PageHeader } from "../../components/PageHeader";
import { Card } from "../../components/Card";
import { DefinitionList } from "../../components/DefinitionList";
import { AdminOnlyHint, ErrorAlert, TextNotice } from "../../components/alerts";
import { ConnectionStatusBadge, IntegrationStateBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { Loading } from "../../components/Loading";
import { useConfirm } from "../../components/ConfirmDialog";
import { IntegrationForm, settingsFromValues, valuesFromIntegration } from "./IntegrationForm";
import { IntegrationDatesCard } from "./IntegrationDatesCard";
import { RecentRunsCard } from "./RecentRunsCard";
import { SchedulesCard } from "./SchedulesCard";
import { WebhookCard } from "./WebhookCard";
import "./integrations.css";

export function IntegrationDetailPage() {
  const { id = "" } = useParams();
  const { isAdmin } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [message, setMessage] = useState<string | null>((location.state as { flash?: string } | null)?.flash ?? null);
  const actions = useActions<"enable" | "disable" | "delete">();
  const busy = actions.busy;
  const [dialog, confirm] = useConfirm();
  const data = useAsync(async () => {
    const [integration, connections, connectors] = await Promise.all([
      call(api.GET("/api/v1/integrations/{id}", { params: { path: { id } } })),
      allConnections(),
      loadConnectors(),
    ]);
    return { integration, connections, connectors };
  }, [id]);
  const i = data.data?.integration;
  useTitle(i?.name ?? "Integration");
  const conns = byId(data.data?.connections ?? []);
  const setIntegration = (next: Integration) => data.setData((prev) => ({ ...prev!, integration: next }));

  const toggle = async (action: "enable" | "disable") => {
    if (!i) return;
    if (action === "disable") {
      const ok = await confirm({
        title: `Disable “${i.name}”?`,
        body: <p>No more syncs run for it until it is enabled again.</p>,
        confirmLabel: "Disable",
        danger: true,
      });
      if (!ok) return;
    }
    await actions.run(action, async () => {
      setMessage(null);
      const path = action === "enable" ? "/api/v1/integrations/{id}/enable" : "/api/v1/integrations/{id}/disable";
      const updated = await call(api.POST(path, { params: { path: { id: i.id } } }));
      setIntegration(updated);
      setMessage(
        action === "enable"
          ? `Enabled: the integration is now in ${INTEGRATION_STATE[updated.state]} mode. ${INTEGRATION_STATE_HELP[updated.state]}`
          : `Disabled: the integration is now ${INTEGRATION_STATE[updated.state].toLowerCase()}.`,
      );
    });
  };

  const remove = async () => {
    if (!i) return;
    const ok = await confirm({
      title: `Delete “${i.name}”?`,
      body: <p>The integration and its settings are deleted. Its connections stay.</p>,
      confirmLabel: "Delete integration",
      danger: true,
    });
    if (!ok) return;
    await actions.run("delete", async () => {
      setMessage(null);
      await call(api.DELETE("/api/v1/integrations/{id}", { params: { path: { id: i.id } } }));
      navigate("/integrations", { state: { flash: `Integration “${i.name}” deleted.` } });
    });
  };

  const connCell = (cid: string) => {
    const c = conns.get(cid);
    if (!c) return <span className="muted">unknown connection</span>;
    return (
      <span className="conn-cell">
        <Link to={`/connections/${c.id}`}>{c.name}</Link>
        <span className="muted small">{connectorName(data.data?.connectors, c.connector)}</span>
        <ConnectionStatusBadge status={c.status} />
        {c.last_error && <span className="text-danger small"><Ticks text={c.last_error} /></span>}
      </span>
    );
  };

  const enabled = i ? i.state !== "inactive" : false;
  const sourceConn = i ? conns.get(i.source_connection_id) : undefined;
  const sourceConnector = sourceConn ? data.data?.connectors.find((c) => c.kind === sourceConn.connector) : undefined;

  return (
    <>
      {dialog}
      <PageHeader
        back={{ to: "/integrations", label: "Integrations" }}
        title={i ? i.name : "Integration"}
        subtitle={i ? <IntegrationStateBadge state={i.state} /> : undefined}
        actions={
          i && isAdmin ? (
            <>
              {enabled ? (
                <button type="button" className="btn btn-secondary" onClick={() => toggle("disable")} disabled={busy !== null}>
                  {busy === "disable" ? "Disabling…" : "Disable"}
                </button>
              ) : (
                <button type="button" className="btn btn-primary" onClick={() => toggle("enable")} disabled={busy !== null}>
                  {busy === "enable" ? "Enabling…" : "Enable"}
                </button>
              )}
              <button type="button" className="btn btn-danger-outline" onClick={remove} disabled={busy !== null} title={enabled ? "Disable the integration before deleting it" : undefined}>
                {busy === "delete" ? "Deleting…" : "Delete"}
              </button>
            </>
          ) : undefined
        }
      />
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={data.error} />
      {data.loading && !i && <Loading />}
      {i && data.data && (
        <>
          {!isAdmin && <AdminOnlyHint>Only admins can enable, disable, change or delete integrations.</AdminOnlyHint>}
          <Card title="Overview">
            <DefinitionList
              items={[
                ["State", <span key="st" className="state-line"><IntegrationStateBadge state={i.state} /> <span className="muted small">{INTEGRATION_STATE_HELP[i.state]}</span></span>],
                ["Type", INTEGRATION_KIND[i.kind]],
                ["Source", connCell(i.source_connection_id)],
                ["Target", connCell(i.target_connection_id)],
                ["Created", <DateTime key="c" value={i.created_at} />],
                ["Updated", <DateTime key="u" value={i.updated_at} />],
                [
                  "Activity",
                  <span key="a" className="link-row">
                    <Link to={`/reports?integration=${i.id}`}>Reports</Link>
                    <Link to={`/jobs?integration=${i.id}`}>Jobs</Link>
                    <Link to={`/logs?integration=${i.id}`}>Logs</Link>
                    <Link to={`/queue?integration=${i.id}`}>Queue</Link>
                  </span>,
                ],
              ]}
            />
          </Card>
          <RecentRunsCard integration={i} />
          <SchedulesCard integration={i} />
          <WebhookCard integration={i} source={sourceConnector} onChange={setIntegration} />
          <IntegrationDatesCard integration={i} />
          <h2 className="section-title">Settings</h2>
          <IntegrationForm
            key={i.updated_at}
            mode="edit"
            initial={valuesFromIntegration(i)}
            connections={data.data.connections}
            connectors={data.data.connectors}
            canChangeConnections={i.state === "inactive"}
            disabled={!isAdmin}
            submitLabel="Save changes"
            onSubmit={async (v) => {
              const connectionsChanged = v.source_connection_id !== i.source_connection_id || v.target_connection_id !== i.target_connection_id;
              const updated = await call(
                api.PATCH("/api/v1/integrations/{id}", {
                  params: { path: { id: i.id } },
                  body: {
                    name: v.name.trim(),
                    settings: settingsFromValues(v),
                    ...(connectionsChanged ? { source_connection_id: v.source_connection_id, target_connection_id: v.target_connection_id } : {}),
                  },
                }),
              );
              setIntegration(updated);
              setMessage("Changes saved.");
            }}
          />
        </>
      )}
    </>
  );
}
