import { Fragment, useEffect, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, type FieldError } from "../api/errors";
import type { ConnectionStatus, IntegrationState, LogLevel, QueueStatus, Run } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { formatDateTime, formatRelative } from "../lib/datetime";
import { LockIcon } from "./icons";
import { CONNECTION_STATUS, INTEGRATION_STATE, INTEGRATION_STATE_HELP, LOG_LEVEL, QUEUE_STATUS, RUN_STATUS_HELP } from "../lib/labels";
import { RUN_STATUS_TONE, isLive, isStuck, runStatusLabel, type Tone } from "../lib/runs";

/** Text from the API with `code` spans in backticks (names in error details, paths in help texts). */
export function Ticks({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  const parts = text.split("`");
  if (parts.length < 3 || parts.length % 2 === 0) return <>{text}</>;
  return <>{parts.map((p, i) => (i % 2 === 1 ? <code key={i}>{p}</code> : <Fragment key={i}>{p}</Fragment>))}</>;
}

export function PageHeader({ title, subtitle, actions, back }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; back?: { to: string; label: string } }) {
  return (
    <header className="page-header">
      {back && (
        <Link className="back-link" to={back.to}>
          ← {back.label}
        </Link>
      )}
      <div className="page-header-row">
        <div>
          <h1>{title}</h1>
          {subtitle && <p className="page-subtitle">{subtitle}</p>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
    </header>
  );
}

export function Card({ title, children, actions, className }: { title?: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ""}`}>
      {(title || actions) && (
        <div className="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

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

const QUEUE_TONE: { readonly [K in QueueStatus]: Tone } = { pending: "info", processing: "info", done: "success", failed: "danger" };

export function QueueStatusBadge({ status }: { status: QueueStatus }) {
  return (
    <Badge tone={QUEUE_TONE[status]}>
      <span className="dot" aria-hidden="true" />
      {QUEUE_STATUS[status]}
    </Badge>
  );
}

/** A time in the organisation's timezone; the hover text says how long ago and the exact ISO time. */
export function DateTime({ value, empty, timeZone: zone }: { value: string | null | undefined; empty?: string; timeZone?: string }) {
  const auth = useAuth();
  const timeZone = zone ?? auth.timeZone;
  if (!value) return <span className="muted">{empty ?? "—"}</span>;
  const rel = formatRelative(value);
  return (
    <time dateTime={value} title={`${rel ? rel + " · " : ""}${value}`}>
      {formatDateTime(value, timeZone)}
    </time>
  );
}

/**
 * An API error in words: title and detail, plus the field errors that no input on the page shows. `fieldsShown`
 * says that the remaining field errors are shown next to their inputs.
 */
export function ErrorAlert({ error, other, fieldsShown, onDismiss }: { error: ApiError | null | undefined; other?: FieldError[]; fieldsShown?: boolean; onDismiss?: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error && ref.current) ref.current.scrollIntoView({ block: "nearest" });
  }, [error]);
  if (!error) return null;
  const rest = other ?? (fieldsShown ? [] : error.errors);
  const allInFields = fieldsShown && error.errors.length > 0 && rest.length === 0;
  return (
    <div className="alert alert-error" role="alert" ref={ref}>
      <div className="alert-body">
        <strong>{error.title}</strong>
        {allInFields ? (
          <span> — please correct the highlighted {error.errors.length === 1 ? "field" : "fields"}.</span>
        ) : error.detail && error.detail !== error.title ? (
          <span>
            {" "}
            — <Ticks text={error.detail} />
          </span>
        ) : null}
        {error.status === 403 && <p className="alert-hint">Your role does not allow this. Ask an admin of your organisation.</p>}
        {rest.length > 0 && !(rest.length === 1 && error.detail.includes(rest[0]!.message)) && (
          <ul>
            {rest.map((e, i) => (
              <li key={i}>
                {e.field ? <code>{e.field}</code> : null} <Ticks text={e.message} />
              </li>
            ))}
          </ul>
        )}
      </div>
      {onDismiss && (
        <button type="button" className="btn-icon" onClick={onDismiss} aria-label="Dismiss error">
          ×
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = "success", onDismiss }: { children: ReactNode; tone?: "success" | "info" | "warning" | "error"; onDismiss?: () => void }) {
  return (
    <div className={`alert alert-${tone}`} role={tone === "error" ? "alert" : "status"}>
      <div className="alert-body">{children}</div>
      {onDismiss && (
        <button type="button" className="btn-icon" onClick={onDismiss} aria-label="Dismiss message">
          ×
        </button>
      )}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-text">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

export function LoadMore({ nextCursor, loading, onMore, count }: { nextCursor: string | null; loading: boolean; onMore: () => void; count: number }) {
  return (
    <div className="load-more">
      <span className="muted">
        {count} shown{nextCursor ? "" : count > 0 ? " · all loaded" : ""}
      </span>
      {nextCursor && (
        <button type="button" className="btn btn-secondary" onClick={onMore} disabled={loading}>
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </div>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2500);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(text);
      } else {
        const ta = document.createElement("textarea");
        ta.value = text;
        ta.setAttribute("readonly", "");
        ta.style.position = "fixed";
        ta.style.opacity = "0";
        document.body.appendChild(ta);
        ta.select();
        const ok = document.execCommand("copy");
        ta.remove();
        if (!ok) throw new Error("copy refused");
      }
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <>
      <button type="button" className="btn btn-secondary" onClick={copy}>
        {state === "copied" ? "Copied ✓" : label}
      </button>
      <span className="sr-only" role="status">
        {state === "copied" ? "Copied to the clipboard" : state === "failed" ? "Could not copy: select the text and copy it by hand" : ""}
      </span>
      {state === "failed" && <span className="field-error">Could not copy: select the text and copy it by hand.</span>}
    </>
  );
}

/** Shown in place of a control that needs the admin role. */
export function AdminOnlyHint({ children = "Only admins can change this." }: { children?: ReactNode }) {
  return (
    <p className="hint-locked">
      <LockIcon /> {children}
    </p>
  );
}

export function DefinitionList({ items }: { items: [ReactNode, ReactNode][] }) {
  return (
    <dl className="deflist">
      {items.map(([k, v], i) => (
        <div key={i} className="deflist-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
