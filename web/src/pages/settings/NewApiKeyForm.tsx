import { useState } from "react";
import { api, call, type CreatedApiKey, type Role } from "../../api/client";
import { ROLE, ROLE_HELP, keysOf } from "../../lib/labels";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { FormActions, RadioGroup, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";

/** Create an API key with a name and the role it acts as; the secret is answered once. */
export function NewApiKeyForm({ onCreated, onCancel }: { onCreated: (k: CreatedApiKey) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("support");
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: (): Record<string, string> => (name.trim() ? {} : { name: "is required" }),
    known: ["name", "role"],
    onSubmit: async () => onCreated(await call(api.POST("/api/v1/api-keys", { body: { name: name.trim(), role } }))),
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      <Card title="Create API key">
        <TextField path="name" label="Name" value={name} onChange={setName} required error={errors.name} help="What uses the key, e.g. “nightly export script”." autoFocus />
        <RadioGroup
          path="role"
          legend="Acts as"
          value={role}
          onChange={setRole}
          options={keysOf(ROLE).map((r) => ({ value: r, label: ROLE[r], description: ROLE_HELP[r] }))}
          error={errors.role}
        />
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label="Create key" busyLabel="Creating…" onCancel={onCancel} />
      </Card>
    </form>
  );
}
