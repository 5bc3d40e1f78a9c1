// An integration's newest runs, with Run now; polled while one is moving.

import { useState } from "react";
import { Link } from "react-router";
import type { Integration, Run } from "../../api/client";
import { toApiError, type ApiError } from "../../api/errors";
import { useAsync } from "../../lib/hooks";
import { runsPage } from "../../lib/data";
import { isLive } from "../../lib/runs";
import { usePolling } from "../../lib/polling";
import { Card } from "../../components/Card";
import { ErrorAlert } from "../../components/alerts";
import { Loading } from "../../components/Loading";
import { EmptyState } from "../../components/EmptyState";
import { QueuedNotice, RunNowButtons, RunsTable } from "../../components/runs";

const RECENT_RUNS = 5;

export function RecentRunsCard({ integration }: { integration: Integration }) {
  const runs = useAsync(async () => (await runsPage(integration.id, {}, undefined, RECENT_RUNS)).items, [integration.id]);
  const [queued, setQueued] = useState<Run | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const refresh = async () => {
    try {
      runs.setData((await runsPage(integration.id, {}, undefined, RECENT_RUNS)).items);
    } catch (e) {
      setError(toApiError(e));
    }
  };
  usePolling(refresh, 3000, (runs.data ?? []).some((r) => isLive(r.status)));
  return (
    <Card
      title="Recent runs"
      actions={
        <>
          <RunNowButtons
            integration={integration}
            onError={setError}
            onQueued={(r) => {
              setQueued(r);
              void refresh();
            }}
          />
          <Link className="btn btn-ghost" to={`/reports?integration=${integration.id}`}>
            All runs →
          </Link>
        </>
      }
    >
      <QueuedNotice run={queued} onDismiss={() => setQueued(null)} />
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      <ErrorAlert error={runs.error} />
      {runs.loading && !runs.data ? (
        <Loading label="Loading runs…" />
      ) : runs.data && runs.data.length === 0 ? (
        <EmptyState title="No runs yet">{integration.state === "inactive" ? "Enable the integration, then run it now or give it a schedule." : "Run it now, or give it a schedule."}</EmptyState>
      ) : runs.data ? (
        <RunsTable runs={runs.data} caption="Recent runs" compact />
      ) : null}
    </Card>
  );
}
