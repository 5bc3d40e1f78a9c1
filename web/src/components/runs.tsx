import { useState } from "react";
import { Link } from "react-router";
import { api, call, type Integration, type Run } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import { useCan } from "../lib/permissions";
import { formatDuration, runTypeLabel, writtenCount } from "../lib/runs";
import { Badge, RunStatusBadge } from "./badges";
import { DateTime } from "./DateTime";
import { Notice } from "./alerts";
import { DataTable } from "./tables";

/** The runs of one integration, newest first: status, type, times in the organisation's zone, counts. */
export function RunsTable({ runs, caption, compact }: { runs: readonly Run[]; caption: string; compact?: boolean }) {
  return (
    <DataTable
      caption={caption}
      testId="runs-table"
      columns={[
        "Run",
        "Status",
        "Type",
        "Started",
        !compact && "Ended",
        !compact && "Took",
        { label: "Read", className: "num" },
        { label: "Filtered", className: "num" },
        { label: "Written", className: "num" },
        { label: "Errors", className: "num" },
      ]}
    >
      {runs.map((r) => (
        <tr key={r.id} data-testid="run-row" data-run-id={r.id} data-status={r.status}>
          <td className="nowrap">
            <Link to={`/runs/${r.id}`} className="strong-link" aria-label={`Run ${r.number}`}>
              #{r.number}
            </Link>
          </td>
          <td>
            <RunStatusBadge run={r} />
          </td>
          <td className="small">
            {runTypeLabel(r)}
            {r.dry_run && (
              <>
                {" "}
                <Badge tone="warning" title="The integration was in test: nothing was written to the target.">
                  Dry run
                </Badge>
              </>
            )}
          </td>
          <td className="nowrap">
            <DateTime value={r.started_at} timeZone={r.local.timezone} empty={r.status === "queued" ? "waiting" : "—"} />
          </td>
          {!compact && (
            <td className="nowrap">
              <DateTime value={r.finished_at} timeZone={r.local.timezone} />
            </td>
          )}
          {!compact && <td className="nowrap small">{formatDuration(r.started_at, r.finished_at)}</td>}
          <td className="num">{r.records_read}</td>
          <td className="num">{r.records_filtered}</td>
          <td className="num" title={r.dry_run ? "A dry run: what it would have written" : undefined}>
            {writtenCount(r)}
          </td>
          <td className={`num ${r.records_errors ? "text-danger strong" : ""}`}>{r.records_errors}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/**
 * "Run now" and "Run full sync" for an integration (admins; a disabled integration cannot run). Answers the
 * queued run through `onQueued`, and shows the API's refusal in `onError`.
 */
export function RunNowButtons({ integration, onQueued, onError }: { integration: Pick<Integration, "id" | "state">; onQueued: (run: Run) => void; onError: (e: ApiError | null) => void }) {
  const can = useCan();
  const [busy, setBusy] = useState<"changes" | "full" | null>(null);
  if (!can("run_now")) return null;
  const disabled = integration.state === "inactive";
  const run = async (full: boolean) => {
    setBusy(full ? "full" : "changes");
    onError(null);
    try {
      onQueued(await call(api.POST("/api/v1/integrations/{id}/run", { params: { path: { id: integration.id } }, body: { full } })));
    } catch (e) {
      onError(toApiError(e));
    } finally {
      setBusy(null);
    }
  };
  const why = disabled ? "Enable the integration to run it" : undefined;
  return (
    <>
      <button type="button" className="btn btn-primary" onClick={() => run(false)} disabled={busy !== null || disabled} title={why ?? "Sync the people changed since the last complete run"}>
        {busy === "changes" ? "Queueing…" : "Run now"}
      </button>
      <button type="button" className="btn btn-secondary" onClick={() => run(true)} disabled={busy !== null || disabled} title={why ?? "Read everyone from the source, not only the changed"}>
        {busy === "full" ? "Queueing…" : "Run full sync"}
      </button>
    </>
  );
}

/** The notice after a run was queued, with a link to follow it. */
export function QueuedMessage({ run }: { run: Run }) {
  return (
    <>
      Run #{run.number} is queued{run.dry_run ? " (a dry run: the integration is in test)" : ""}. <Link to={`/runs/${run.id}`}>Follow it in its report</Link>.
    </>
  );
}

/** The notice after a run was queued (`QueuedMessage`); nothing while none was. */
export function QueuedNotice({ run, onDismiss }: { run: Run | null; onDismiss: () => void }) {
  if (!run) return null;
  return (
    <Notice onDismiss={onDismiss}>
      <QueuedMessage run={run} />
    </Notice>
  );
}
