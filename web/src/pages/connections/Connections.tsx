import { useEffect, useState } from "react";
import { Link, useLocation } from "react-router";
import { api, call, type Connection } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, useAsync, usePaged, useTitle } from "../../lib/hooks";
import { connectionsPage, connectorName, loadConnectors } from "../../lib/data";
import { buildReturnTo } from "../../lib/oauth";
import { useConnect, useOAuthReturn } from "../../lib/useOAuth";
import { PageHeader } from "../../components/PageHeader";
import { AdminOnlyHint, ErrorAlert, TextNotice } from "../../components/alerts";
import { ConnectionStatusBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";

export function ConnectionsPage() {
  useTitle("Connections");
  const { isAdmin } = useAuth();
  const location = useLocation();
  const flash = (location.state as { flash?: string } | null)?.flash;
  const list = usePaged<Connection>((cursor) => connectionsPage(cursor));
  const connectors = useAsync(loadConnectors, []);
  const actions = useActions<string>();
  const [message, setMessage] = useState<string | null>(flash ?? null);
  const [tone, setTone] = useState<"success" | "warning">("success");
  const connect = useConnect("on the connection's page");
  const oauth = useOAuthReturn({ connectors: connectors.data, connectorsLoading: connectors.loading, named: true });
  const isOAuth = (c: Connection) => connectors.data?.find((k) => k.kind === c.connector)?.auth === "oauth2";
  const busy = actions.busy !== null || connect.connecting !== null;

  // The connection as loaded after coming back from the provider replaces its row.
  const returned = oauth.connection;
  const replaceRow = list.replace;
  useEffect(() => {
    if (returned) replaceRow((x) => x.id === returned.id, returned);
  }, [returned, replaceRow]);

  const startConnect = (c: Connection) => {
    actions.dismissError();
    setMessage(null);
    oauth.dismiss();
    void connect.start(c.id, buildReturnTo(location.pathname, location.search, "/connections"));
  };

  const test = async (c: Connection) => {
    await actions.run(c.id, async () => {
      setMessage(null);
      connect.clearError();
      oauth.dismiss();
      const updated = await call(api.POST("/api/v1/connections/{id}/test", { params: { path: { id: c.id } } }));
      list.replace((x) => x.id === c.id, updated);
      setTone(updated.status === "connected" ? "success" : "warning");
      setMessage(
        updated.status === "connected" ? `“${updated.name}” is connected.` : `“${updated.name}” test finished: ${updated.status}${updated.last_error ? ` — ${updated.last_error}` : ""}.`,
      );
    });
  };

  return (
    <>
      <PageHeader
        title="Connections"
        subtitle="Configured accounts of the systems the hub reads from (sources) and writes to (targets)."
        actions={
          isAdmin ? (
            <Link className="btn btn-primary" to="/connections/new">
              Add connection
            </Link>
          ) : undefined
        }
      />
      {!isAdmin && <AdminOnlyHint>Connections and their credentials are managed by admins; you can view them.</AdminOnlyHint>}
      <TextNotice text={oauth.notice?.text} tone={oauth.notice?.tone} onDismiss={oauth.dismiss} />
      <TextNotice text={message} tone={tone} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={connect.error} onDismiss={connect.clearError} />
      <ErrorAlert error={connectors.error} />
      <PagedCard
        list={list}
        empty={
          <EmptyState
            title="No connections yet"
            action={
              isAdmin ? (
                <Link className="btn btn-primary" to="/connections/new">
                  Add the first connection
                </Link>
              ) : undefined
            }
          >
            A connection is one account of a system such as BambooHR, Employment Hero, a SCIM service or Odoo.
          </EmptyState>
        }
      >
        <DataTable caption="Connections" columns={["Name", "Connector", "Status", "Last error", "Checked", isAdmin && { label: "Actions", hidden: true }]}>
          {list.items.map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={`/connections/${c.id}`} className="strong-link">
                  {c.name}
                </Link>
              </td>
              <td>{connectorName(connectors.data, c.connector)}</td>
              <td>
                <ConnectionStatusBadge status={c.status} />
              </td>
              <td className="cell-error">{c.last_error ? <span className="text-danger"><Ticks text={c.last_error} /></span> : <span className="muted">—</span>}</td>
              <td className="nowrap">
                <DateTime value={c.checked_at} empty="never" />
              </td>
              {isAdmin && (
                <td className="cell-actions">
                  {isOAuth(c) && (
                    <button
                      type="button"
                      className={`btn btn-sm ${c.status === "connected" ? "btn-secondary" : "btn-primary"}`}
                      onClick={() => startConnect(c)}
                      disabled={busy}
                      aria-label={`${c.status === "connected" ? "Reconnect" : "Connect"} ${c.name}`}
                    >
                      {connect.connecting === c.id ? "Redirecting…" : c.status === "connected" ? "Reconnect" : "Connect"}
                    </button>
                  )}
                  <button type="button" className="btn btn-secondary btn-sm" onClick={() => test(c)} disabled={busy} aria-label={`Test connection ${c.name}`}>
                    {actions.busy === c.id ? "Testing…" : "Test"}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      </PagedCard>
    </>
  );
}
