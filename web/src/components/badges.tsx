// Status badges: a coloured pill with the status in words, one kind per thing that has a status.

import type { ReactNode } from "react";
import type { ConnectionStatus, InboundQueueStatus, IntegrationState, LogLevel, Run } from "../api/client";
import { CONNECTION_STATUS, INBOUND_QUEUE_STATUS, INTEGRATION_STATE, INTEGRATION_STATE_HELP, LOG_LEVEL, RUN_STATUS_HELP } from "../lib/labels";
import { RUN_STATUS_TONE, isLive, isStuck, runStatusLabel, type Tone } from "../lib/runs";
import "./spinner.css";
import "./badges.css";

export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function ConnectionStatusBadge({ status }: { status: ConnectionStatus }) {
  const tone = status === "connected" ? "success" : status === "error" ? "danger" : "neutral";
  return (
    <Badge tone={tone}>
      <span className="dot" aria-hidden="true" />
      {CONNECTION_STATUS[status]}
    </Badge>
  );
}

export function IntegrationStateBadge({ state }: { state: IntegrationState }) {
  const tone = state === "active" ? "success" : state === "test" ? "warning" : "neutral";
  return (
    <Badge tone={tone} title={INTEGRATION_STATE_HELP[state]}>
      <span className="dot" aria-hidden="true" />
      {INTEGRATION_STATE[state]}
    </Badge>
  );
}

/** A run's status in words (COMPLETE, ERROR, …), with a spinner while it is still moving. */
export function RunStatusBadge({ run }: { run: Pick<Run, "status" | "cancel_requested" | "heartbeat_at"> }) {
  const stuck = isStuck(run);
  const help = stuck ? "Running, but silent for over 30 seconds: it is resumed automatically, or by hand." : RUN_STATUS_HELP[run.status];
  return (
    <span className="run-status" data-testid="run-status" data-status={run.status}>
      <Badge tone={stuck ? "warning" : RUN_STATUS_TONE[run.status]} title={help}>
        {isLive(run.status) ? <span className="spinner spinner-sm" aria-hidden="true" /> : <span className="dot" aria-hidden="true" />}
        {runStatusLabel(run)}
        {stuck && " (stuck?)"}
      </Badge>
    </span>
  );
}

const LEVEL_TONE: { readonly [K in LogLevel]: Tone } = { debug: "neutral", info: "info", warning: "warning", error: "danger", critical: "danger" };

export function LogLevelBadge({ level }: { level: LogLevel }) {
  return (
    <Badge tone={LEVEL_TONE[level]}>
      {level === "critical" ? "‼ " : null}
      {LOG_LEVEL[level]}
    </Badge>
  );
}

const INBOUND_QUEUE_TONE: { readonly [K in InboundQueueStatus]: Tone } = { pending: "info", processing: "info", done: "success", failed: "danger" };

export function InboundQueueStatusBadge({ status }: { status: InboundQueueStatus }) {
  return (
    <Badge tone={INBOUND_QUEUE_TONE[status]}>
      <span className="dot" aria-hidden="true" />
      {INBOUND_QUEUE_STATUS[status]}
    </Badge>
  );
}
