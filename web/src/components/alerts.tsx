// Messages above a page's content: an API error in words, a notice (success, info, warning), and the hint shown in
// place of a control the signed-in role may not use.

import { useEffect, useRef, type ReactNode } from "react";
import type { ApiError, FieldError } from "../api/errors";
import { LockIcon } from "./icons";
import { Ticks } from "./Ticks";
import "./alerts.css";

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

/** A notice of a text from the app or the API (`code` spans in backticks), or nothing while there is none. */
export function TextNotice({ text, tone, onDismiss }: { text: string | null | undefined; tone?: "success" | "info" | "warning" | "error"; onDismiss?: () => void }) {
  if (!text) return null;
  return (
    <Notice tone={tone} onDismiss={onDismiss}>
      <Ticks text={text} />
    </Notice>
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
