import { useState } from "react";
import { Link } from "react-router";
import type { Connection, ConnectorInfo, DeactivationPolicy, Integration, IntegrationSettings, NewPersonTrigger, PersonField, Schemas } from "../../api/client";
import { CheckboxField, CheckboxGroup, FormActions, RadioGroup, SelectField, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { CONNECTION_STATUS, DEACTIVATION_POLICY, INTEGRATION_KIND, NEW_PERSON_TRIGGER, PERSON_FIELD, keysOf } from "../../lib/labels";

export interface IntegrationFormValues {
  name: string;
  kind: Schemas["IntegrationKind"];
  source_connection_id: string;
  target_connection_id: string;
  mandatory_fields: PersonField[];
  new_person_trigger: NewPersonTrigger;
  deactivation_policy: DeactivationPolicy;
  error_notification_email: string;
  /** Seconds, as typed. */
  webhook_delay_seconds: string;
  reactivate_archived_users: boolean;
}

export const DEFAULT_WEBHOOK_DELAY_SECONDS = 10;
export const MAX_WEBHOOK_DELAY_SECONDS = 3600;

export const DEFAULT_VALUES: IntegrationFormValues = {
  name: "",
  kind: "employees_to_users",
  source_connection_id: "",
  target_connection_id: "",
  mandatory_fields: ["email", "first_name", "last_name"],
  new_person_trigger: "on_creation",
  deactivation_policy: "on_termination",
  error_notification_email: "",
  webhook_delay_seconds: String(DEFAULT_WEBHOOK_DELAY_SECONDS),
  reactivate_archived_users: false,
};

export function valuesFromIntegration(i: Integration): IntegrationFormValues {
  return {
    name: i.name,
    kind: i.kind,
    source_connection_id: i.source_connection_id,
    target_connection_id: i.target_connection_id,
    mandatory_fields: i.settings.mandatory_fields ?? DEFAULT_VALUES.mandatory_fields,
    new_person_trigger: i.settings.new_person_trigger ?? DEFAULT_VALUES.new_person_trigger,
    deactivation_policy: i.settings.deactivation_policy ?? DEFAULT_VALUES.deactivation_policy,
    error_notification_email: i.settings.error_notification_email ?? "",
    webhook_delay_seconds: String(i.settings.webhook_delay_seconds ?? DEFAULT_WEBHOOK_DELAY_SECONDS),
    reactivate_archived_users: i.settings.reactivate_archived_users ?? false,
  };
}

export function settingsFromValues(v: IntegrationFormValues): IntegrationSettings {
  return {
    mandatory_fields: v.mandatory_fields,
    new_person_trigger: v.new_person_trigger,
    deactivation_policy: v.deactivation_policy,
    error_notification_email: v.error_notification_email.trim() || null,
    webhook_delay_seconds: Number(v.webhook_delay_seconds.trim()),
    reactivate_archived_users: v.reactivate_archived_users,
  };
}

export function validateIntegration(v: IntegrationFormValues): Record<string, string> {
  const e: Record<string, string> = {};
  if (!v.name.trim()) e.name = "is required";
  if (!v.source_connection_id) e.source_connection_id = "choose the source connection";
  if (!v.target_connection_id) e.target_connection_id = "choose the target connection";
  if (v.source_connection_id && v.source_connection_id === v.target_connection_id) e.target_connection_id = "must differ from the source";
  const email = v.error_notification_email.trim();
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) e["settings.error_notification_email"] = "is not a valid email address";
  const delay = v.webhook_delay_seconds.trim();
  if (!/^\d+$/.test(delay) || Number(delay) > MAX_WEBHOOK_DELAY_SECONDS) e["settings.webhook_delay_seconds"] = `must be a whole number of seconds from 0 to ${MAX_WEBHOOK_DELAY_SECONDS}`;
  return e;
}

const KNOWN = [
  "name",
  "kind",
  "source_connection_id",
  "target_connection_id",
  "settings",
  "settings.mandatory_fields",
  "settings.new_person_trigger",
  "settings.deactivation_policy",
  "settings.error_notification_email",
  "settings.webhook_delay_seconds",
  "settings.reactivate_archived_users",
];

function connectionOptions(connections: readonly Connection[], connectors: readonly ConnectorInfo[], role: "source" | "target") {
  const kinds = new Set(connectors.filter((c) => c.roles.includes(role)).map((c) => c.kind));
  return connections
    .filter((c) => kinds.has(c.connector))
    .map((c) => ({
      value: c.id,
      label: `${c.name} — ${connectors.find((k) => k.kind === c.connector)?.name ?? c.connector} (${CONNECTION_STATUS[c.status].toLowerCase()})`,
    }));
}

export function IntegrationForm({
  initial,
  connections,
  connectors,
  mode,
  canChangeConnections,
  disabled,
  onSubmit,
  submitLabel,
  cancelTo,
}: {
  initial: IntegrationFormValues;
  connections: readonly Connection[];
  connectors: readonly ConnectorInfo[];
  mode: "create" | "edit";
  canChangeConnections: boolean;
  disabled?: boolean;
  onSubmit: (v: IntegrationFormValues) => Promise<void>;
  submitLabel: string;
  cancelTo?: string;
}) {
  const [v, setV] = useState<IntegrationFormValues>(initial);
  const { errors, error, other, busy, formRef, submit } = useApiForm({ values: v, validate: validateIntegration, known: KNOWN, onSubmit });
  const set = <K extends keyof IntegrationFormValues>(k: K, value: IntegrationFormValues[K]) => setV((prev) => ({ ...prev, [k]: value }));

  const sources = connectionOptions(connections, connectors, "source");
  const targets = connectionOptions(connections, connectors, "target");

  const connDisabled = disabled || !canChangeConnections;

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="stack">
      <Card title="What syncs where">
        <TextField path="name" label="Name" value={v.name} onChange={(x) => set("name", x)} required error={errors.name} placeholder="e.g. Employment Hero → LMS" disabled={disabled} />
        <SelectField
          path="kind"
          label="Type"
          value={v.kind}
          onChange={(x) => set("kind", x)}
          options={keysOf(INTEGRATION_KIND).map((k) => ({ value: k, label: INTEGRATION_KIND[k] }))}
          required
          error={errors.kind}
          disabled={disabled || mode === "edit"}
          help={mode === "edit" ? "The type of an integration cannot change." : "People in the source become users in the target."}
        />
        <div className="grid-2">
          <SelectField
            path="source_connection_id"
            label="Source (HR system)"
            value={v.source_connection_id}
            onChange={(x) => set("source_connection_id", x)}
            options={sources}
            placeholder={sources.length ? "Choose a source connection…" : "No source connections yet"}
            required
            error={errors.source_connection_id}
            disabled={connDisabled}
            help={!canChangeConnections && mode === "edit" ? "Disable the integration to change its connections." : "The source of truth for people data."}
          />
          <SelectField
            path="target_connection_id"
            label="Target"
            value={v.target_connection_id}
            onChange={(x) => set("target_connection_id", x)}
            options={targets}
            placeholder={targets.length ? "Choose a target connection…" : "No target connections yet"}
            required
            error={errors.target_connection_id}
            disabled={connDisabled}
            help="Where users are created, updated and deactivated."
          />
        </div>
        {mode === "create" && (sources.length === 0 || targets.length === 0) && (
          <p className="muted small">
            {sources.length === 0 && "There is no connection that can be a source. "}
            {targets.length === 0 && "There is no connection that can be a target. "}
            <Link to="/connections/new">Add a connection</Link> first.
          </p>
        )}
      </Card>
      <Card title="Rules">
        <CheckboxGroup
          path="settings.mandatory_fields"
          legend="Mandatory fields"
          options={keysOf(PERSON_FIELD).map((k) => ({ value: k, label: PERSON_FIELD[k] }))}
          value={v.mandatory_fields}
          onChange={(x) => set("mandatory_fields", x)}
          help="People missing any of these are filtered out; the run report says why."
          error={errors["settings.mandatory_fields"]}
          disabled={disabled}
        />
        <RadioGroup
          path="settings.new_person_trigger"
          legend="Create new people in the target"
          options={keysOf(NEW_PERSON_TRIGGER).map((k) => ({ value: k, label: NEW_PERSON_TRIGGER[k] }))}
          value={v.new_person_trigger}
          onChange={(x) => set("new_person_trigger", x)}
          error={errors["settings.new_person_trigger"]}
          disabled={disabled}
        />
        <RadioGroup
          path="settings.deactivation_policy"
          legend="Deactivate people who leave"
          options={keysOf(DEACTIVATION_POLICY).map((k) => ({ value: k, label: DEACTIVATION_POLICY[k] }))}
          value={v.deactivation_policy}
          onChange={(x) => set("deactivation_policy", x)}
          error={errors["settings.deactivation_policy"]}
          disabled={disabled}
        />
        <CheckboxField
          path="settings.reactivate_archived_users"
          label="Reactivate archived users found by email"
          checked={v.reactivate_archived_users}
          onChange={(x) => set("reactivate_archived_users", x)}
          error={errors["settings.reactivate_archived_users"]}
          help="A new person whose email belongs to an archived user in the target takes that user over and brings it back. Off: their record fails with the reason, and the archived user is left alone."
          disabled={disabled}
        />
        <TextField
          path="settings.error_notification_email"
          label="Error notification email"
          type="email"
          value={v.error_notification_email}
          onChange={(x) => set("error_notification_email", x)}
          error={errors["settings.error_notification_email"]}
          help="Failed or partial sync reports are emailed here."
          placeholder="hr-systems@example.com"
          autoComplete="email"
          disabled={disabled}
        />
        <TextField
          path="settings.webhook_delay_seconds"
          label="Webhook delay (seconds)"
          value={v.webhook_delay_seconds}
          onChange={(x) => set("webhook_delay_seconds", x)}
          error={errors["settings.webhook_delay_seconds"]}
          required
          inputMode="numeric"
          help="How long a webhook event waits before it is processed (0–3600): a burst of changes to one person within it becomes one sync of their latest state."
          disabled={disabled}
        />
        {errors.settings && <p className="field-error">{errors.settings}</p>}
      </Card>
      <ErrorAlert error={error} other={other} fieldsShown />
      {!disabled && (
        <FormActions busy={busy} label={submitLabel} cancelTo={cancelTo} />
      )}
    </form>
  );
}
