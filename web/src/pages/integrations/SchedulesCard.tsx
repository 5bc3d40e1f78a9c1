// An integration's schedules in short, with links to manage them on the Jobs page.

import { Link } from "react-router";
import { api, call, type Integration } from "../../api/client";
import { useAsync } from "../../lib/hooks";
import { useCan } from "../../lib/permissions";
import { timingLabel } from "../../lib/schedule";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { Badge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Loading } from "../../components/Loading";
import "./integrations.css";

export function SchedulesCard({ integration }: { integration: Integration }) {
  const can = useCan();
  const schedules = useAsync(() => call(api.GET("/api/v1/integrations/{id}/schedules", { params: { path: { id: integration.id }, query: { limit: 50 } } })), [integration.id]);
  const items = schedules.data?.items ?? [];
  return (
    <Card
      title="Schedules"
      actions={
        <>
          {can("create_schedule") && (
            <Link className="btn btn-secondary" to={`/jobs?integration=${integration.id}&new=1`}>
              New schedule
            </Link>
          )}
          <Link className="btn btn-ghost" to={`/jobs?integration=${integration.id}`}>
            Manage in Jobs →
          </Link>
        </>
      }
    >
      <ErrorAlert error={schedules.error} />
      {schedules.loading ? (
        <Loading label="Loading schedules…" />
      ) : items.length === 0 && !schedules.error ? (
        <p className="muted">No schedules: it runs only when started by hand or by the source's webhooks.</p>
      ) : (
        <ul className="plain-list">
          {items.map((s) => (
            <li key={s.id} className="schedule-line">
              <span className={s.cron ? "mono" : undefined}>{timingLabel(s)}</span> <span className="muted small">{s.timezone}</span>{" "}
              {s.active ? (
                <span className="small">
                  next <DateTime value={s.next_run_at} />
                </span>
              ) : (
                <Badge tone="neutral">Cancelled</Badge>
              )}
            </li>
          ))}
          {schedules.data?.next_cursor && <li className="muted small">More in Jobs.</li>}
        </ul>
      )}
    </Card>
  );
}
