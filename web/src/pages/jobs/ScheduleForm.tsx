import { useEffect, useMemo, useState } from "react";
import type { Integration } from "../../api/client";
import { CheckboxField, FormActions, RadioGroup, SelectField, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { knownTimeZones } from "../../lib/datetime";
import { INTERVAL_UNIT, keysOf } from "../../lib/labels";
import { SCHEDULE_FIELDS, validateSchedule, type ScheduleFormValues } from "../../lib/schedule";
import "./jobs.css";

/** Create or edit a schedule: checked before sending; the API's field errors are shown next to their inputs. */
export function ScheduleForm({
  mode,
  initial,
  integrations,
  onSubmit,
  onCancel,
}: {
  mode: "create" | "edit";
  initial: ScheduleFormValues;
  /** The integrations to choose from (create only). */
  integrations: readonly Integration[];
  onSubmit: (v: ScheduleFormValues) => Promise<void>;
  onCancel: () => void;
}) {
  const [v, setV] = useState<ScheduleFormValues>(initial);
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: v,
    validate: (x) => validateSchedule(x, mode),
    known: SCHEDULE_FIELDS,
    onSubmit,
    // "every" names the whole interval: show it at its number.
    placeErrors: (fields) => {
      if (fields.every) fields["every.n"] = [fields["every.n"], fields.every].filter(Boolean).join("; ");
    },
  });
  const zones = useMemo(knownTimeZones, []);
  // Opened from a row further down: bring the form into view and start in it.
  useEffect(() => {
    const form = formRef.current;
    form?.scrollIntoView?.({ block: "start" });
    form?.querySelector<HTMLElement>("input, select, textarea")?.focus({ preventScroll: true });
  }, []);
  const set = <K extends keyof ScheduleFormValues>(k: K, value: ScheduleFormValues[K]) => setV((prev) => ({ ...prev, [k]: value }));

  const title = mode === "create" ? "New schedule" : "Edit schedule";
  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-label={title} data-testid="schedule-form">
      <Card title={title}>
        {mode === "create" && (
          <SelectField
            path="integration_id"
            label="Integration"
            value={v.integration_id}
            onChange={(x) => set("integration_id", x)}
            options={integrations.map((i) => ({ value: i.id, label: i.name }))}
            placeholder={integrations.length ? "Choose the integration to run…" : "No integrations yet"}
            required
            error={errors.integration_id}
            help="Each run syncs this integration."
          />
        )}
        <RadioGroup
          path="timing"
          legend="Runs"
          value={v.timing}
          onChange={(x) => set("timing", x)}
          options={[
            { value: "cron", label: "On a cron schedule", description: "At set times, e.g. every day at 02:30." },
            { value: "every", label: "Every N minutes, hours or days", description: "Minutes and hours are real time; days keep the wall-clock time." },
          ]}
        />
        {v.timing === "cron" ? (
          <TextField
            path="cron"
            label="Cron expression"
            value={v.cron}
            onChange={(x) => set("cron", x)}
            required
            error={errors.cron}
            placeholder="30 2 * * *"
            help="Five fields: minute hour day-of-month month day-of-week, read in the time zone below. `30 2 * * *` is 02:30 every day, `0 9-17 * * mon-fri` on the hour in business hours; `@daily` and `@hourly` also work."
            className="mono-input"
          />
        ) : (
          <div className="grid-2">
            <TextField path="every.n" label="Every" value={v.every_n} onChange={(x) => set("every_n", x)} required error={errors["every.n"]} inputMode="numeric" help="A whole number, at least 1." />
            <SelectField path="every.unit" label="Unit" value={v.every_unit} onChange={(x) => set("every_unit", x)} options={keysOf(INTERVAL_UNIT).map((k) => ({ value: k, label: INTERVAL_UNIT[k] }))} required error={errors["every.unit"]} />
          </div>
        )}
        <TextField
          path="timezone"
          label="Time zone"
          value={v.timezone}
          onChange={(x) => set("timezone", x)}
          required
          error={errors.timezone}
          list="tz-options"
          autoComplete="off"
          help="An IANA name such as Australia/Sydney. Daylight saving is followed."
        />
        <datalist id="tz-options">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <div className="grid-2">
          <TextField
            path="priority"
            label="Priority"
            value={v.priority}
            onChange={(x) => set("priority", x)}
            required
            error={errors.priority}
            inputMode="numeric"
            help="0 (highest) to 10 (lowest): schedules due together are queued in this order."
          />
          <TextField
            path="max_calls"
            label="Stop after this many runs"
            value={v.max_calls}
            onChange={(x) => set("max_calls", x)}
            error={errors.max_calls}
            inputMode="numeric"
            placeholder="no limit"
            help="Empty: no limit. After the last run the schedule deactivates itself."
          />
        </div>
        <CheckboxField path="full" label="Read everyone on each run (full sync)" checked={v.full} onChange={(c) => set("full", c)} help="Otherwise each run reads only the people changed since the last complete run." />
        <CheckboxField
          path="repeat_missed"
          label="Catch up on a missed run after downtime"
          checked={v.repeat_missed}
          onChange={(c) => set("repeat_missed", c)}
          error={errors.repeat_missed}
          help="On: a run missed while the hub was down happens once when it is back. Off: it skips to the next time."
        />
        <CheckboxField
          path="active"
          label="Active"
          checked={v.active}
          onChange={(c) => set("active", c)}
          error={errors.active}
          help={mode === "edit" && !initial.active ? "Activating it again works out the next run from now." : "Only active schedules run."}
        />
        <details className="advanced" open={!!errors.params || v.params.trim() !== "{}"}>
          <summary>Custom parameters</summary>
          <TextField path="params" label="Parameters (JSON object)" value={v.params} onChange={(x) => set("params", x)} error={errors.params} help="Handed to each run as they are." className="mono-input" />
        </details>
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label={mode === "create" ? "Create schedule" : "Save schedule"} onCancel={onCancel} />
      </Card>
    </form>
  );
}
