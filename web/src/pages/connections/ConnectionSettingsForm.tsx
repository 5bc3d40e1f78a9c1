import { useMemo, useState } from "react";
import { api, call, type Connection, type ConnectorInfo } from "../../api/client";
import { initialValues, schemaToFields, validateValues, valuesToPayload, type FormValues } from "../../lib/schemaForm";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { FormActions, SchemaFieldset, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";

/** A connection's name and settings (read-only for non-admins); saving marks it for a new test. */
export function ConnectionSettingsForm({ connection, connector, disabled, onSaved }: { connection: Connection; connector: ConnectorInfo; disabled: boolean; onSaved: (c: Connection) => void }) {
  const fields = useMemo(() => schemaToFields(connector.settings_schema, { prefix: "settings" }), [connector]);
  const [name, setName] = useState(connection.name);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, connection.settings as Record<string, unknown>));
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: () => ({ ...(name.trim() ? {} : { name: "is required" }), ...validateValues(fields, values) }),
    known: ["name", "settings", ...fields.map((f) => f.path)],
    onSubmit: async () => {
      const updated = await call(
        api.PATCH("/api/v1/connections/{id}", {
          params: { path: { id: connection.id } },
          body: { name: name.trim(), settings: valuesToPayload(fields, values, { blankAsNull: true }) },
        }),
      );
      onSaved(updated);
    },
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      <Card title="Name and settings">
        <TextField path="name" label="Name" value={name} onChange={setName} required error={errors.name} disabled={disabled} />
        <SchemaFieldset name="settings" legend="Settings" fields={fields} values={values} onChange={(n, v) => setValues((s) => ({ ...s, [n]: v }))} errors={errors} disabled={disabled} />
        <ErrorAlert error={error} other={other} fieldsShown />
        {!disabled && (
          <FormActions busy={busy} label="Save settings">
            <span className="muted small">Changing settings marks the connection for a new test.</span>
          </FormActions>
        )}
      </Card>
    </form>
  );
}
