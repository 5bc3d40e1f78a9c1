import { useState } from "react";
import { useLocation, useNavigate, useParams } from "react-router";
import { api, call, type Connection } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, useAsync, useTitle } from "../../lib/hooks";
import { loadConnectors } from "../../lib/data";
import { buildReturnTo, connectionPath } from "../../lib/oauth";
import { useConnect, useOAuthReturn } from "../../lib/useOAuth";
import { AUTH_KIND, CONNECTOR_ROLE } from "../../lib/labels";
import { PageHeader } from "../../components/PageHeader";
import { Card } from "../../components/Card";
import { DefinitionList } from "../../components/DefinitionList";
import { AdminOnlyHint, ErrorAlert, TextNotice } from "../../components/alerts";
import { ConnectionStatusBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { Loading } from "../../components/Loading";
import { useConfirm } from "../../components/ConfirmDialog";
import { ConnectCard } from "./ConnectCard";
import { ConnectionCredentialsForm } from "./ConnectionCredentialsForm";
import { ConnectionSettingsForm } from "./ConnectionSettingsForm";

export function ConnectionDetailPage() {
  const { id = "" } = useParams();
  const { isAdmin } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [message, setMessage] = useState<string | null>((location.state as { flash?: string } | null)?.flash ?? null);
  const [tone, setTone] = useState<"success" | "warning">("success");
  const actions = useActions<"test" | "delete">();
  const busy = actions.busy;
  const [dialog, confirm] = useConfirm();
  const data = useAsync(async () => {
    const [connection, connectors] = await Promise.all([call(api.GET("/api/v1/connections/{id}", { params: { path: { id } } })), loadConnectors()]);
    return { connection, connector: connectors.find((c) => c.kind === connection.connector) };
  }, [id]);
  const c = data.data?.connection;
  useTitle(c?.name ?? "Connection");

  const connector = data.data?.connector;
  const isOAuth = connector?.auth === "oauth2";
  const connect = useConnect("below");
  const oauth = useOAuthReturn({ pageId: id, page: c, connectors: connector ? [connector] : undefined });
  const needsConnect = !!c && isOAuth && c.status !== "connected";

  const setConnection = (next: Connection) => data.setData((prev) => ({ connection: next, connector: prev?.connector }));

  const startConnect = () => {
    if (!c) return;
    actions.dismissError();
    setMessage(null);
    oauth.dismiss();
    void connect.start(c.id, buildReturnTo(location.pathname, location.search, connectionPath(c.id)));
  };

  const test = async () => {
    if (!c) return;
    await actions.run("test", async () => {
      setMessage(null);
      connect.clearError();
      oauth.dismiss();
      const updated = await call(api.POST("/api/v1/connections/{id}/test", { params: { path: { id: c.id } } }));
      setConnection(updated);
      setTone(updated.status === "connected" ? "success" : "warning");
      setMessage(updated.status === "connected" ? "Test passed: the connection is connected." : `Test finished with status “${updated.status}”${updated.last_error ? `: ${updated.last_error}` : "."}`);
    });
  };

  const remove = async () => {
    if (!c) return;
    const ok = await confirm({
      title: `Delete “${c.name}”?`,
      body: <p>The connection and its stored credentials are deleted. Integrations that use it must be deleted or moved to another connection first.</p>,
      confirmLabel: "Delete connection",
      danger: true,
    });
    if (!ok) return;
    await actions.run("delete", async () => {
      setMessage(null);
      connect.clearError();
      oauth.dismiss();
      await call(api.DELETE("/api/v1/connections/{id}", { params: { path: { id: c.id } } }));
      navigate("/connections", { state: { flash: `Connection “${c.name}” deleted.` } });
    });
  };

  return (
    <>
      {dialog}
      <PageHeader
        back={{ to: "/connections", label: "Connections" }}
        title={c ? c.name : "Connection"}
        subtitle={c ? <ConnectionStatusBadge status={c.status} /> : undefined}
        actions={
          c && isAdmin ? (
            <>
              {isOAuth && !needsConnect && (
                <button type="button" className="btn btn-secondary" onClick={startConnect} disabled={busy !== null || connect.connecting !== null} title={`Sign in to ${connector.name} again to renew the hub's access`}>
                  {connect.connecting ? "Redirecting…" : "Reconnect"}
                </button>
              )}
              <button type="button" className={`btn ${needsConnect ? "btn-secondary" : "btn-primary"}`} onClick={test} disabled={busy !== null || connect.connecting !== null}>
                {busy === "test" ? "Testing…" : "Test connection"}
              </button>
              <button type="button" className="btn btn-danger-outline" onClick={remove} disabled={busy !== null || connect.connecting !== null}>
                {busy === "delete" ? "Deleting…" : "Delete"}
              </button>
            </>
          ) : undefined
        }
      />
      <TextNotice text={oauth.notice?.text} tone={oauth.notice?.tone} onDismiss={oauth.dismiss} />
      <TextNotice text={message} tone={tone} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={connect.error} onDismiss={connect.clearError} />
      <ErrorAlert error={data.error} />
      {data.loading && !c && <Loading />}
      {c && (
        <>
          {!isAdmin && <AdminOnlyHint>Only admins can {isOAuth ? "connect, " : ""}test, change or delete connections.</AdminOnlyHint>}
          {isAdmin && needsConnect && connector && (
            <ConnectCard connection={c} providerName={connector.name} connecting={connect.connecting !== null} disabled={busy !== null} onConnect={startConnect} />
          )}
          <Card title="Status">
            <DefinitionList
              items={[
                ["Connector", data.data?.connector ? `${data.data.connector.name} (${data.data.connector.roles.map((r) => CONNECTOR_ROLE[r]).join(" and ")}, ${AUTH_KIND[data.data.connector.auth]})` : c.connector],
                ["Status", <ConnectionStatusBadge key="s" status={c.status} />],
                ["Last error", c.last_error ? <span className="text-danger"><Ticks text={c.last_error} /></span> : <span className="muted">none</span>],
                ["Last checked", <DateTime key="t" value={c.checked_at} empty="never tested" />],
                ["Credentials", c.has_credentials ? "stored (never shown)" : <span className="text-warning">none stored</span>],
                ["Created", <DateTime key="c" value={c.created_at} />],
                ["Updated", <DateTime key="u" value={c.updated_at} />],
              ]}
            />
          </Card>
          {data.data?.connector ? (
            <>
              <ConnectionSettingsForm key={`s-${c.updated_at}`} connection={c} connector={data.data.connector} disabled={!isAdmin} onSaved={(next) => { setConnection(next); setTone("success"); setMessage("Settings saved. Test the connection again to check them."); }} />
              {isAdmin ? (
                <ConnectionCredentialsForm
                  connection={c}
                  connector={data.data.connector}
                  onSaved={(next) => {
                    setConnection(next);
                    connect.clearError();
                    setTone("success");
                    setMessage(isOAuth ? `Client id and secret stored. Connect to sign in to ${data.data!.connector!.name} with them.` : "Credentials replaced. Test the connection to check them.");
                  }}
                />
              ) : (
                <Card title="Credentials">
                  <AdminOnlyHint>Credentials are write-only and can be replaced by admins only.</AdminOnlyHint>
                </Card>
              )}
            </>
          ) : (
            <Card title="Settings">
              <pre className="code-block">{JSON.stringify(c.settings, null, 2)}</pre>
              <p className="muted small">The connector “{c.connector}” is not offered by this server, so its settings cannot be edited here.</p>
            </Card>
          )}
        </>
      )}
    </>
  );
}
