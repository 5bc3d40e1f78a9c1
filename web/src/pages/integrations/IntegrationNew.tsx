import { useNavigate } from "react-router";
import { api, call } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useAsync, useTitle } from "../../lib/hooks";
import { allConnections, loadConnectors } from "../../lib/data";
import { PageHeader } from "../../components/PageHeader";
import { AdminOnlyHint, ErrorAlert } from "../../components/alerts";
import { Loading } from "../../components/Loading";
import { DEFAULT_VALUES, IntegrationForm, settingsFromValues } from "./IntegrationForm";

export function IntegrationNewPage() {
  useTitle("New integration");
  const { isAdmin } = useAuth();
  const navigate = useNavigate();
  const data = useAsync(async () => {
    const [connections, connectors] = await Promise.all([allConnections(), loadConnectors()]);
    return { connections, connectors };
  }, []);

  return (
    <>
      <PageHeader title="New integration" back={{ to: "/integrations", label: "Integrations" }} subtitle="Join a source to a target. It starts inactive: enable it when its connections are connected." />
      {!isAdmin && <AdminOnlyHint>Only admins can create integrations.</AdminOnlyHint>}
      <ErrorAlert error={data.error} />
      {data.loading && <Loading />}
      {data.data && (
        <IntegrationForm
          mode="create"
          initial={DEFAULT_VALUES}
          connections={data.data.connections}
          connectors={data.data.connectors}
          canChangeConnections
          disabled={!isAdmin}
          submitLabel="Create integration"
          cancelTo="/integrations"
          onSubmit={async (v) => {
            const created = await call(
              api.POST("/api/v1/integrations", {
                body: {
                  name: v.name.trim(),
                  kind: v.kind,
                  source_connection_id: v.source_connection_id,
                  target_connection_id: v.target_connection_id,
                  settings: settingsFromValues(v),
                },
              }),
            );
            navigate(`/integrations/${created.id}`, { state: { flash: `Integration “${created.name}” created. It is inactive until you enable it.` } });
          }}
        />
      )}
    </>
  );
}
