import { useState } from "react";
import { api, call, type IntegrationDates } from "../../api/client";
import { dateLabel, datesChanges, draftsFrom, type DateDrafts } from "../../lib/integrationDates";
import { ErrorAlert, Notice } from "../../components/alerts";
import { Ticks } from "../../components/Ticks";
import { FieldShell, FormActions, fieldId } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";
import { useConfirm } from "../../components/ConfirmDialog";
import "./integrations.css";

/** The integration dates' form: checked before sending, saved only after the API's warning is confirmed. */
export function IntegrationDatesForm({
  dates,
  integrationId,
  timeZone,
  onCancel,
  onSaved,
}: {
  dates: IntegrationDates;
  integrationId: string;
  timeZone: string;
  onCancel: () => void;
  onSaved: (next: IntegrationDates, changed: boolean) => void;
}) {
  const [drafts, setDrafts] = useState<DateDrafts>(() => draftsFrom(dates, timeZone));
  const [dialog, confirm] = useConfirm();
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: drafts,
    validate: (d) => datesChanges(dates, d, timeZone).errors,
    known: dates.items.map((x) => x.name),
    onSubmit: async (d) => {
      const { body } = datesChanges(dates, d, timeZone);
      if (Object.keys(body).length === 0) return onSaved(dates, false);
      const ok = await confirm({ title: "Change the integration dates?", body: <p><Ticks text={dates.warning} /></p>, confirmLabel: "Save dates", danger: true });
      if (ok) onSaved(await call(api.PUT("/api/v1/integrations/{id}/dates", { params: { path: { id: integrationId } }, body })), true);
    },
  });

  return (
    <>
      {dialog}
      <form ref={formRef} onSubmit={submit} noValidate aria-label="Edit integration dates">
        <Notice tone="warning">
          <Ticks text={dates.warning} />
        </Notice>
        {dates.items.map((x) => (
          <FieldShell key={x.name} id={fieldId(`dates.${x.name}`)} label={`${dateLabel(x.name)} (${timeZone})`} help={x.description} error={errors[x.name]}>
            {(aria) => (
              <div className="input-row">
                <input
                  {...aria}
                  name={x.name}
                  type="datetime-local"
                  className="input"
                  value={drafts[x.name] ?? ""}
                  onChange={(e) => setDrafts((prev) => ({ ...prev, [x.name]: e.target.value }))}
                />
                <button type="button" className="btn btn-sm btn-ghost" onClick={() => setDrafts((prev) => ({ ...prev, [x.name]: "" }))} disabled={!drafts[x.name]} aria-label={`Clear ${dateLabel(x.name).toLowerCase()}`}>
                  Clear
                </button>
              </div>
            )}
          </FieldShell>
        ))}
        <ErrorAlert error={error} other={other} fieldsShown />
        <FormActions busy={busy} label="Save dates" onCancel={onCancel} />
      </form>
    </>
  );
}
