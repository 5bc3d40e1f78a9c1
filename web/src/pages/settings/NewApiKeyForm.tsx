import { useState } from "react";
import { api, call, type CreatedApiKey, type Role } from "../../api/client";
import { ROLE, ROLE_HELP, keysOf } from "../../lib/labels";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { FormActions, RadioGroup, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";

/** The end of the chosen day in the browser's zone, as the API takes it; null when no day is chosen. */
export function expiryOf(day: string): string | null {
  return day ? new Date(`${day}T23:59:59`).toISOString() : null;
}

/** Create an API key with a name, the role it acts as and an optional last day; the secret is answered once. */
export function NewApiKeyForm({ onCreated, onCancel }: { onCreated: (k: CreatedApiKey) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("support");
  const [expires, setExpires] = useState("");
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: (): Record<string, string> => {
      const e: Record<string, string> = {};
      if (!name.trim()) e.name = "is required";
      const at = expiryOf(expires);
      if (at && new Date(at) <= new Date()) e.expires_at = "must be in the future";
      return e;
    },
    known: ["name", "role", "expires_at"],
    onSubmit: async () =>
      onCreated(await call(api.POST("/api/v1/api-keys", { body: { name: name.trim(), role, expires_at: expiryOf(expires) } }))),
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
        <TextField
          path="expires_at"
          label="Last day (optional)"
          type="date"
          value={expires}
          onChange={setExpires}
          error={errors.expires_at}
          help="The key stops working at the end of this day. Leave empty for a key that works until revoked."
        />
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label="Create key" busyLabel="Creating…" onCancel={onCancel} />
      </Card>
    </form>
  );
}
