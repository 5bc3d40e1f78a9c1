import { Link, useLocation } from "react-router";
import { useState } from "react";
import type { Integration } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useAsync, usePaged, useTitle } from "../../lib/hooks";
import { allConnections, byId, integrationsPage } from "../../lib/data";
import { INTEGRATION_KIND } from "../../lib/labels";
import { PageHeader } from "../../components/PageHeader";
import { ErrorAlert, TextNotice } from "../../components/alerts";
import { ConnectionStatusBadge, IntegrationStateBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";
import "./integrations.css";

export function IntegrationsPage() {
  useTitle("Integrations");
  const { isAdmin } = useAuth();
  const location = useLocation();
  const [message, setMessage] = useState<string | null>((location.state as { flash?: string } | null)?.flash ?? null);
  const list = usePaged<Integration>((cursor) => integrationsPage(cursor));
  const connections = useAsync(allConnections, []);
  const conns = byId(connections.data ?? []);

  const conn = (id: string) => {
    const c = conns.get(id);
    if (!c) return <span className="muted">{connections.loading ? "…" : "unknown"}</span>;
    return (
      <span className="conn-cell">
        <Link to={`/connections/${c.id}`}>{c.name}</Link> <ConnectionStatusBadge status={c.status} />
      </span>
    );
  };

  return (
    <>
      <PageHeader
        title="Integrations"
        subtitle="Each integration keeps one target in sync with one source."
        actions={
          isAdmin ? (
            <Link className="btn btn-primary" to="/integrations/new">
              New integration
            </Link>
          ) : undefined
        }
      />
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={connections.error} />
      <PagedCard
        list={list}
        empty={
          <EmptyState
            title="No integrations yet"
            action={
              isAdmin ? (
                <Link className="btn btn-primary" to="/integrations/new">
                  Create an integration
                </Link>
              ) : undefined
            }
          >
            An integration joins a source connection (your HR system) to a target connection.
          </EmptyState>
        }
      >
        <DataTable caption="Integrations" columns={["Name", "State", "Source", "Target", "Updated"]}>
          {list.items.map((i) => (
            <tr key={i.id}>
              <td>
                <Link to={`/integrations/${i.id}`} className="strong-link">
                  {i.name}
                </Link>
                <div className="muted small">{INTEGRATION_KIND[i.kind]}</div>
              </td>
              <td>
                <IntegrationStateBadge state={i.state} />
              </td>
              <td>{conn(i.source_connection_id)}</td>
              <td>{conn(i.target_connection_id)}</td>
              <td className="nowrap">
                <DateTime value={i.updated_at} />
              </td>
            </tr>
          ))}
        </DataTable>
      </PagedCard>
    </>
  );
}
