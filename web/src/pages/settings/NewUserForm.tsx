import { useState } from "react";
import { api, call, type Role, type User } from "../../api/client";
import { ROLE, ROLE_HELP, keysOf } from "../../lib/labels";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { FormActions, RadioGroup, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";

/** Add a user with an initial password and a role. */
export function NewUserForm({ onCreated, onCancel }: { onCreated: (u: User) => void; onCancel: () => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("support");
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: () => {
      const errs: Record<string, string> = {};
      if (!email.trim()) errs.email = "is required";
      else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) errs.email = "is not a valid email address";
      if (password.length < 10) errs.password = "must be at least 10 characters";
      return errs;
    },
    known: ["email", "name", "password", "role"],
    onSubmit: async () => onCreated(await call(api.POST("/api/v1/users", { body: { email: email.trim(), name: name.trim() || null, password, role } }))),
    // 409 email_taken / email_unavailable name no field but are about the email.
    placeErrors: (fields, apiErr) => {
      if (apiErr.code === "email_taken" || apiErr.code === "email_unavailable") fields.email = apiErr.detail;
    },
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate autoComplete="off">
      <Card title="Add user">
        <div className="grid-2">
          <TextField path="email" label="Email" type="email" value={email} onChange={setEmail} required error={errors.email} autoComplete="off" autoFocus />
          <TextField path="name" label="Name" value={name} onChange={setName} error={errors.name} help="Defaults to the part of the email before the @." />
        </div>
        <TextField
          path="password"
          label="Initial password"
          type="password"
          value={password}
          onChange={setPassword}
          required
          error={errors.password}
          autoComplete="new-password"
          help="At least 10 characters. Share it with the person through a safe channel."
        />
        <RadioGroup
          path="role"
          legend="Role"
          value={role}
          onChange={setRole}
          options={keysOf(ROLE).map((r) => ({ value: r, label: ROLE[r], description: ROLE_HELP[r] }))}
          error={errors.role}
        />
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label="Add user" busyLabel="Adding…" onCancel={onCancel} />
      </Card>
    </form>
  );
}
