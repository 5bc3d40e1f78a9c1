import { useMemo, useState } from "react";
import { api, call, type Connection, type ConnectorInfo } from "../../api/client";
import { initialValues, schemaToFields, validateValues, valuesToPayload, type FormValues } from "../../lib/schemaForm";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { FormActions, SchemaFieldset } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";

/** Replace a connection's credentials (write-only: stored ones are never shown). */
export function ConnectionCredentialsForm({ connection, connector, onSaved }: { connection: Connection; connector: ConnectorInfo; onSaved: (c: Connection) => void }) {
  const fields = useMemo(() => schemaToFields(connector.credentials_schema, { prefix: "credentials", secret: true }), [connector]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: () => validateValues(fields, values),
    known: ["credentials", ...fields.map((f) => f.path)],
    onSubmit: async () => {
      const updated = await call(
        api.PUT("/api/v1/connections/{id}/credentials", { params: { path: { id: connection.id } }, body: { credentials: valuesToPayload(fields, values) } }),
      );
      setValues(initialValues(fields));
      onSaved(updated);
    },
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate autoComplete="off">
      <Card title="Replace credentials">
        <p className="muted small">
          {connection.has_credentials ? "Credentials are stored. They are never shown; enter new ones to replace them all." : "No credentials are stored yet."}
        </p>
        {connector.auth === "oauth2" && (
          <p className="muted small">
            Enter the client id and secret of the OAuth app created for the hub in {connector.name}. The tokens are obtained by connecting: replacing the client id and secret removes
            them, so connect again afterwards.
          </p>
        )}
        <SchemaFieldset
          name="credentials"
          legend="Credentials"
          fields={fields}
          values={values}
          onChange={(n, v) => setValues((s) => ({ ...s, [n]: v }))}
          errors={errors}
          secretPlaceholder={connection.has_credentials ? "•••••••• (stored; type to replace)" : undefined}
        />
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label="Replace credentials" />
      </Card>
    </form>
  );
}
