import { Link } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { useAsync, useTitle } from "../lib/hooks";
import { allConnections, allIntegrations, byId, loadConnectors, connectorName } from "../lib/data";
import { Card, ConnectionStatusBadge, DateTime, EmptyState, ErrorAlert, IntegrationStateBadge, Loading, PageHeader } from "../components/ui";
import { ArrowIcon } from "../components/icons";
import { INTEGRATION_KIND, INTEGRATION_STATE_HELP } from "../lib/labels";

export function Overview() {
  useTitle("Overview");
  const { me, isAdmin } = useAuth();
  const data = useAsync(async () => {
    const [integrations, connections, connectors] = await Promise.all([allIntegrations(), allConnections(), loadConnectors()]);
    return { integrations, connections, connectors };
  }, []);

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

  return (
    <>
      <PageHeader title="Overview" subtitle={me ? `${me.organisation.name} · times in ${me.organisation.timezone}` : undefined} />
      <ErrorAlert error={data.error} />
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
                  return (
                    <li key={i.id} className={`tile tile-${i.state}`}>
                      <div className="tile-head">
                        <Link to={`/integrations/${i.id}`} className="tile-title">
                          {i.name}
                        </Link>
                        <IntegrationStateBadge state={i.state} />
                      </div>
                      <p className="tile-kind muted">{INTEGRATION_KIND[i.kind]} · {INTEGRATION_STATE_HELP[i.state]}</p>
                      <div className="tile-flow">
                        <span className="tile-conn">
                          {src ? (
                            <>
                              <Link to={`/connections/${src.id}`}>{src.name}</Link>
                              <span className="muted small">{connectorName(d.connectors, src.connector)}</span>
                              <ConnectionStatusBadge status={src.status} />
                            </>
                          ) : (
                            <span className="muted">Unknown source</span>
                          )}
                        </span>
                        <span className="tile-arrow" aria-label="syncs to">
                          <ArrowIcon />
                        </span>
                        <span className="tile-conn">
                          {tgt ? (
                            <>
                              <Link to={`/connections/${tgt.id}`}>{tgt.name}</Link>
                              <span className="muted small">{connectorName(d.connectors, tgt.connector)}</span>
                              <ConnectionStatusBadge status={tgt.status} />
                            </>
                          ) : (
                            <span className="muted">Unknown target</span>
                          )}
                        </span>
                      </div>
                      <p className="tile-foot muted small">
                        Updated <DateTime value={i.updated_at} />
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
            <Link to="/settings/users" className="shortcut">
              <strong>Users</strong>
              <span>Who can sign in, and with which role.</span>
            </Link>
            <Link to="/settings/api-keys" className="shortcut">
              <strong>API keys</strong>
              <span>Keys for scripts using the REST API.</span>
            </Link>
          </nav>
        </>
      )}
    </>
  );
}
