// The dates an integration reads changes from (the watermarks of incremental reads), shown and edited after a warning.

import { useState } from "react";
import { api, call, type Integration, type IntegrationDates } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useAsync } from "../../lib/hooks";
import { dateLabel } from "../../lib/integrationDates";
import { useCan } from "../../lib/permissions";
import { Card } from "../../components/Card";
import { AdminOnlyHint, ErrorAlert, TextNotice } from "../../components/alerts";
import { DateTime } from "../../components/DateTime";
import { DefinitionList } from "../../components/DefinitionList";
import { Ticks } from "../../components/Ticks";
import { Loading } from "../../components/Loading";
import { IntegrationDatesForm } from "./IntegrationDatesForm";

export function IntegrationDatesCard({ integration }: { integration: Integration }) {
  const { timeZone } = useAuth();
  const can = useCan();
  const dates = useAsync(() => call(api.GET("/api/v1/integrations/{id}/dates", { params: { path: { id: integration.id } } })), [integration.id]);
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const d = dates.data;
  return (
    <Card
      title="Integration dates"
      actions={
        d && can("edit_dates") && !editing ? (
          <button type="button" className="btn btn-secondary" onClick={() => setEditing(true)}>
            Edit dates
          </button>
        ) : undefined
      }
    >
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={dates.error} />
      {dates.loading && !d && <Loading />}
      {d && (editing ? (
        <IntegrationDatesForm
          dates={d}
          integrationId={integration.id}
          timeZone={timeZone}
          onCancel={() => setEditing(false)}
          onSaved={(next, changed) => {
            dates.setData(next);
            setEditing(false);
            setMessage(changed ? "Dates saved. The next run reads from them." : "Nothing changed.");
          }}
        />
      ) : (
        <DatesView dates={d} timeZone={timeZone} />
      ))}
      {d && !can("edit_dates") && <AdminOnlyHint>Only admins can change integration dates.</AdminOnlyHint>}
    </Card>
  );
}

function DatesView({ dates: d, timeZone }: { dates: IntegrationDates; timeZone: string }) {
  return (
    <DefinitionList
      items={d.items.map((x) => [
        dateLabel(x.name),
        <>
          <DateTime value={x.value} timeZone={timeZone} empty="not set: the next run reads everyone" />
          {x.updated_at && (
            <span className="muted small">
              {" "}
              (changed <DateTime value={x.updated_at} timeZone={timeZone} />)
            </span>
          )}
          <div className="muted small">
            <Ticks text={x.description} />
          </div>
        </>,
      ])}
    />
  );
}
