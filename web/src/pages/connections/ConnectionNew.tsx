import { useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { api, call, type ConnectorInfo } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useAsync, useTitle } from "../../lib/hooks";
import { loadConnectors } from "../../lib/data";
import { initialValues, schemaToFields, validateValues, valuesToPayload, type FormValues } from "../../lib/schemaForm";
import { AUTH_KIND, CONNECTOR_ROLE } from "../../lib/labels";
import { PageHeader } from "../../components/PageHeader";
import { Card } from "../../components/Card";
import { AdminOnlyHint, ErrorAlert } from "../../components/alerts";
import { Badge } from "../../components/badges";
import { Loading } from "../../components/Loading";
import { FormActions, SchemaFieldset, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";
import "./connections.css";

export function ConnectionNewPage() {
  useTitle("Add connection");
  const { isAdmin } = useAuth();
  const connectors = useAsync(loadConnectors, []);
  const [kind, setKind] = useState<string>("");
  const connector = connectors.data?.find((c) => c.kind === kind);

  return (
    <>
      <PageHeader title="Add connection" back={{ to: "/connections", label: "Connections" }} subtitle="Pick the kind of system, then give the hub its address and credentials." />
      {!isAdmin && <AdminOnlyHint>Only admins can add connections. You can look at the connectors here, but saving will be refused.</AdminOnlyHint>}
      <ErrorAlert error={connectors.error} />
      {connectors.loading && <Loading />}
      {connectors.data && (
        <Card title="1. Connector">
          <fieldset className="connector-picker">
            <legend className="sr-only">Connector</legend>
            {connectors.data.map((c) => (
              <label key={c.kind} className={`connector-option ${kind === c.kind ? "selected" : ""}`}>
                <input type="radio" name="connector" value={c.kind} checked={kind === c.kind} onChange={() => setKind(c.kind)} />
                <span className="connector-name">{c.name}</span>
                <span className="connector-meta">
                  {c.roles.map((r) => (
                    <Badge key={r} tone={r === "source" ? "info" : "neutral"}>
                      {CONNECTOR_ROLE[r]}
                    </Badge>
                  ))}
                </span>
                <span className="connector-desc muted small">
                  {AUTH_KIND[c.auth]}
                  {c.webhooks ? " · real-time webhooks" : ""}
                  {c.entities.length ? ` · ${c.entities.join(", ")}` : ""}
                </span>
              </label>
            ))}
          </fieldset>
        </Card>
      )}
      {connector && <ConnectionForm key={connector.kind} connector={connector} disabled={!isAdmin} />}
    </>
  );
}

function ConnectionForm({ connector, disabled }: { connector: ConnectorInfo; disabled: boolean }) {
  const navigate = useNavigate();
  const settingsFields = useMemo(() => schemaToFields(connector.settings_schema, { prefix: "settings" }), [connector]);
  const credentialFields = useMemo(() => schemaToFields(connector.credentials_schema, { prefix: "credentials", secret: true }), [connector]);
  const [name, setName] = useState(connector.name);
  const [settings, setSettings] = useState<FormValues>(() => initialValues(settingsFields));
  const [credentials, setCredentials] = useState<FormValues>(() => initialValues(credentialFields));
  const known = ["name", "connector", "settings", "credentials", ...settingsFields.map((f) => f.path), ...credentialFields.map((f) => f.path)];

  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: (): Record<string, string> => ({
      ...(name.trim() ? {} : { name: "is required" }),
      ...validateValues(settingsFields, settings),
      ...validateValues(credentialFields, credentials),
    }),
    known,
    onSubmit: async () => {
      const created = await call(
        api.POST("/api/v1/connections", {
          body: {
            name: name.trim(),
            connector: connector.kind,
            settings: valuesToPayload(settingsFields, settings),
            credentials: valuesToPayload(credentialFields, credentials),
          },
        }),
      );
      const flash =
        connector.auth === "oauth2"
          ? `Connection “${created.name}” created. Next, connect it: you sign in to ${connector.name} and allow the hub access.`
          : `Connection “${created.name}” created. Test it to check the settings and credentials.`;
      navigate(`/connections/${created.id}`, { state: { flash } });
    },
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="stack">
      <Card title={`2. ${connector.name} connection`}>
        <TextField path="name" label="Name" value={name} onChange={setName} required error={errors.name} help="How this account is called in the hub, e.g. “Employment Hero (production)”." disabled={disabled} />
      </Card>
      <Card title="Settings">
        <SchemaFieldset name="settings" legend="Settings" fields={settingsFields} values={settings} onChange={(n, v) => setSettings((s) => ({ ...s, [n]: v }))} errors={errors} disabled={disabled} />
      </Card>
      <Card title="Credentials">
        <p className="muted small">Stored encrypted and never shown again, not even to admins.</p>
        {connector.auth === "oauth2" && (
          <p className="muted small">
            This system uses OAuth 2: enter the client id and secret of the OAuth app created for the hub in {connector.name} here. After creating the connection you connect it: you
            sign in to {connector.name} and allow access, and the hub obtains the tokens.
          </p>
        )}
        <SchemaFieldset
          name="credentials"
          legend="Credentials"
          fields={credentialFields}
          values={credentials}
          onChange={(n, v) => setCredentials((s) => ({ ...s, [n]: v }))}
          errors={errors}
          disabled={disabled}
        />
      </Card>
      <ErrorAlert error={error} other={other} fieldsShown />
      <FormActions busy={busy} label="Create connection" disabled={disabled} cancelTo="/connections" />
    </form>
  );
}
