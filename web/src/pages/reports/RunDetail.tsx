import { useEffect, useRef, useState, type ReactNode } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, call, type Run, type RunRecord } from "../../api/client";
import { toApiError, type ApiError } from "../../api/errors";
import { useActions, useAsync, usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE } from "../../lib/data";
import { enumParam, useFilterParams } from "../../lib/filters";
import { DECISION, OUTCOME, RUN_STATUS_HELP, keysOf } from "../../lib/labels";
import { canCancel, canReplayFailed, canResume, countsSummary, formatDuration, isFinished, isLive, isStuck, runTypeLabel } from "../../lib/runs";
import { usePolling } from "../../lib/polling";
import { useCan } from "../../lib/permissions";
import { downloadFrom } from "../../lib/download";
import { PageHeader } from "../../components/PageHeader";
import { Card } from "../../components/Card";
import { DefinitionList } from "../../components/DefinitionList";
import { AdminOnlyHint, ErrorAlert, Notice, TextNotice } from "../../components/alerts";
import { Badge, RunStatusBadge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { Loading } from "../../components/Loading";
import { EmptyState } from "../../components/EmptyState";
import { PagedCard } from "../../components/tables";
import { FilterSelect, Filters } from "../../components/filters";
import { useConfirm } from "../../components/ConfirmDialog";
import { RecordsTable } from "./RecordsTable";

const RUN_POLL_MS = 2000;

type Action = "cancel" | "resume" | "replay" | "csv";

/** One run's page; a fresh one for each run (a replay goes from the old run's page to the new one's). */
export function RunDetailPage() {
  const { id = "" } = useParams();
  return <RunDetail key={id} id={id} />;
}

function RunDetail({ id }: { id: string }) {
  const location = useLocation();
  const navigate = useNavigate();
  const can = useCan();
  const [sp, setParam] = useFilterParams();
  const decision = enumParam(sp, "decision", DECISION);
  const outcome = enumParam(sp, "outcome", OUTCOME);
  const [message, setMessage] = useState<string | null>((location.state as { flash?: string } | null)?.flash ?? null);
  const actions = useActions<Action>();
  const busy = actions.busy;
  const [pollError, setPollError] = useState<ApiError | null>(null);
  const [dialog, confirm] = useConfirm();

  const data = useAsync(() => call(api.GET("/api/v1/runs/{id}", { params: { path: { id } } })), [id]);
  const run = data.data;
  const integration = useAsync(
    () => (run ? call(api.GET("/api/v1/integrations/{id}", { params: { path: { id: run.integration_id } } })) : Promise.resolve(undefined)),
    [run?.integration_id],
  );
  useTitle(run ? `Run #${run.number}` : "Run");

  const records = usePaged<RunRecord>(
    (cursor) => call(api.GET("/api/v1/runs/{id}/records", { params: { path: { id }, query: { decision, outcome, limit: PAGE_SIZE, cursor } } })),
    [id, decision, outcome],
  );

  const live = !!run && isLive(run.status);
  usePolling(
    async () => {
      try {
        const next = await call(api.GET("/api/v1/runs/{id}", { params: { path: { id } } }));
        data.setData(next);
        setPollError(null);
        await records.refresh();
      } catch (e) {
        setPollError(toApiError(e));
      }
    },
    RUN_POLL_MS,
    live,
  );
  // When the run ends, its last records are in: fetch them once more.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) void records.refresh();
    wasLive.current = live;
  }, [live, records]);

  const act = async (kind: Exclude<Action, "csv">) => {
    if (!run) return;
    const texts = {
      cancel: { title: `Cancel run #${run.number}?`, body: "A waiting run ends at once; a running one stops at the next record. What it wrote stays written.", label: "Cancel run", danger: true },
      resume: { title: `Resume run #${run.number}?`, body: "It is queued again and goes on from its last saved page.", label: "Resume run", danger: false },
      replay: { title: `Replay the failed records of run #${run.number}?`, body: `A new run retries only the ${run.records_errors} ${run.records_errors === 1 ? "person" : "people"} whose records failed.`, label: "Replay failed", danger: false },
    }[kind];
    const ok = await confirm({ title: texts.title, body: <p>{texts.body}</p>, confirmLabel: texts.label, danger: texts.danger });
    if (!ok) return;
    await actions.run(kind, async () => {
      setMessage(null);
      const path = { params: { path: { id: run.id } } };
      if (kind === "replay") {
        const replay = await call(api.POST("/api/v1/runs/{id}/replay-failed", path));
        navigate(`/runs/${replay.id}`, { state: { flash: `Run #${replay.number} is queued to retry the failed records of run #${run.number}.` } });
        return;
      }
      const updated = await call(kind === "cancel" ? api.POST("/api/v1/runs/{id}/cancel", path) : api.POST("/api/v1/runs/{id}/resume", path));
      data.setData(updated);
      setMessage(kind === "cancel" ? (updated.status === "cancelled" ? "The run is cancelled." : "The run stops at the next record.") : "The run is queued again.");
    });
  };

  const downloadCsv = async () => {
    if (!run) return;
    await actions.run("csv", async () => {
      await downloadFrom(
        api.GET("/api/v1/runs/{id}/records.csv", { params: { path: { id: run.id }, query: { decision, outcome } }, parseAs: "blob" }),
        `run-${run.number}-records.csv`,
      );
    });
  };

  const tz = run?.local.timezone;
  const integrationName = integration.data?.name;
  const anyAction = run && (canCancel(run) || canResume(run) || canReplayFailed(run));

  return (
    <>
      {dialog}
      <PageHeader
        back={{ to: run ? `/reports?integration=${run.integration_id}` : "/reports", label: "Reports" }}
        title={run ? `Run #${run.number}` : "Run"}
        subtitle={
          run ? (
            <span className="state-line" aria-live="polite">
              <RunStatusBadge run={run} />
              {integrationName && <Link to={`/integrations/${run.integration_id}`}>{integrationName}</Link>}
              {run.dry_run && <Badge tone="warning">Dry run: nothing written</Badge>}
            </span>
          ) : undefined
        }
        actions={
          run ? (
            <>
              {can("cancel_run") && canCancel(run) && (
                <button type="button" className="btn btn-danger-outline" onClick={() => act("cancel")} disabled={busy !== null}>
                  {busy === "cancel" ? "Cancelling…" : "Cancel run"}
                </button>
              )}
              {can("resume_run") && canResume(run) && (
                <button type="button" className="btn btn-secondary" onClick={() => act("resume")} disabled={busy !== null}>
                  {busy === "resume" ? "Resuming…" : "Resume run"}
                </button>
              )}
              {can("replay_failed") && canReplayFailed(run) && (
                <button type="button" className="btn btn-secondary" onClick={() => act("replay")} disabled={busy !== null}>
                  {busy === "replay" ? "Queueing…" : "Replay failed"}
                </button>
              )}
              {!run.records_removed_at && <button type="button" className="btn btn-secondary" onClick={downloadCsv} disabled={busy !== null} title="The record lines shown below (with the filters), as CSV">
                {busy === "csv" ? "Downloading…" : "Download CSV"}
              </button>}
            </>
          ) : undefined
        }
      />
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      {anyAction && !can("cancel_run") && <AdminOnlyHint>Only admins can cancel, resume or replay runs.</AdminOnlyHint>}
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      <ErrorAlert error={pollError} />
      <ErrorAlert error={data.error} />
      <ErrorAlert error={integration.error} />
      {data.loading && !run && <Loading />}
      {run && tz && (
        <>
          <Card title="Summary">
            <DefinitionList items={summaryItems(run, tz)} />
          </Card>

          <h2 className="section-title">Record lines</h2>
          {run.records_removed_at ? (
            <Notice tone="info">
              This run&apos;s record lines were removed by retention on <DateTime value={run.records_removed_at} timeZone={tz} />. The
              counts above are kept; the hub keeps the lines of each integration&apos;s most recent runs and days.
            </Notice>
          ) : (
          <>
          <Filters label="Filter record lines">
            <FilterSelect id="filter-decision" label="Decision" value={decision ?? ""} onChange={(v) => setParam("decision", v)} options={keysOf(DECISION).map((k) => ({ value: k, label: DECISION[k] }))} />
            <FilterSelect id="filter-outcome" label="Outcome" value={outcome ?? ""} onChange={(v) => setParam("outcome", v)} options={keysOf(OUTCOME).map((k) => ({ value: k, label: OUTCOME[k] }))} />
          </Filters>
          {run.status === "in_progress" && <p className="muted small">The run is still going: lines appear as it writes them.</p>}
          <PagedCard
            list={records}
            loadingLabel="Loading record lines…"
            empty={
              <EmptyState title={decision || outcome ? "No lines match these filters" : "No record lines"}>
                {decision || outcome ? "Change or clear the filters above." : live ? "None yet." : "The run handled nobody."}
              </EmptyState>
            }
          >
            <RecordsTable records={records.items} timeZone={tz} />
          </PagedCard>
          </>
          )}
        </>
      )}
    </>
  );
}

const NOT_ENDED: Partial<Record<Run["status"], string>> = { queued: "not started yet", in_progress: "still running", retry: "waiting to be tried again" };

function summaryItems(run: Run, tz: string): [string, ReactNode][] {
  const items: [string, ReactNode][] = [
    ["Status", <span key="s" className="state-line"><RunStatusBadge run={run} /> <span className="muted small">{isStuck(run) ? "No heartbeat for over 30 seconds: it is resumed automatically, or by hand." : RUN_STATUS_HELP[run.status]}</span></span>],
    ["Type", runTypeLabel(run)],
  ];
  if (run.since && !run.full) items.push(["Read changes since", <DateTime key="since" value={run.since} timeZone={tz} />]);
  items.push(
    ["Counts", <span key="c" data-testid="run-counts">{countsSummary(run)}</span>],
    ["Queued", <DateTime key="q" value={run.queued_at} timeZone={tz} />],
    ["Started", <DateTime key="st" value={run.started_at} timeZone={tz} empty="not yet" />],
    ["Ended", <DateTime key="f" value={run.finished_at} timeZone={tz} empty={NOT_ENDED[run.status] ?? "—"} />],
    ["Took", formatDuration(run.started_at, run.finished_at) || "—"],
    ["Attempt", `${run.attempt} of ${run.max_attempts}`],
  );
  if (run.error) items.push(["Error", <span key="e" className="text-danger"><Ticks text={run.error} /></span>]);
  if (run.cancel_requested && isFinished(run.status) && run.status !== "cancelled") items.push(["Cancel", "Asked for, but the run ended before it stopped."]);
  if (run.replay_of) items.push(["Replays", <Link key="r" to={`/runs/${run.replay_of}`}>the failed records of an earlier run</Link>]);
  items.push(["Logs", <Link key="l" to={`/logs?run=${run.id}`}>Log entries of this run</Link>]);
  return items;
}
