// Every failure of an API call becomes an ApiError shaped like the server's problem+json document, so the
// screens can always say in words what went wrong and put field errors next to their inputs.

import type { components } from "./schema";

export type Problem = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["FieldError"];

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly code: string;
  readonly type: string;
  readonly errors: FieldError[];

  constructor(p: { status: number; title: string; detail?: string; code?: string; type?: string; errors?: FieldError[] }) {
    super(p.detail ? `${p.title}: ${p.detail}` : p.title);
    this.name = "ApiError";
    this.status = p.status;
    this.title = p.title;
    this.detail = p.detail ?? "";
    this.code = p.code ?? "unknown";
    this.type = p.type ?? "about:blank";
    this.errors = p.errors ?? [];
  }

  get isForbidden(): boolean {
    return this.status === 403;
  }
}

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Not signed in",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Request too large",
  415: "Unsupported request",
  422: "Request is invalid",
  429: "Too many requests",
  500: "Server error",
  502: "Bad gateway",
  503: "Service unavailable",
  504: "Gateway timeout",
};

function isFieldError(v: unknown): v is FieldError {
  return typeof v === "object" && v !== null && typeof (v as FieldError).field === "string" && typeof (v as FieldError).message === "string";
}

/** Build an ApiError from an HTTP status and whatever body came with it (problem+json, other JSON, text, nothing). */
export function problemFromBody(status: number, body: unknown, statusText = ""): ApiError {
  const fallbackTitle = STATUS_TITLES[status] ?? (statusText || `HTTP ${status}`);
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const errors = Array.isArray(b.errors) ? b.errors.filter(isFieldError) : [];
    const title = typeof b.title === "string" && b.title ? b.title : fallbackTitle;
    let detail = typeof b.detail === "string" ? b.detail : typeof b.message === "string" ? b.message : "";
    if (!detail && errors.length) detail = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ");
    return new ApiError({
      status: typeof b.status === "number" ? b.status : status,
      title,
      detail,
      code: typeof b.code === "string" ? b.code : undefined,
      type: typeof b.type === "string" ? b.type : undefined,
      errors,
    });
  }
  if (typeof body === "string" && body.trim()) {
    const text = body.trim();
    // An HTML error page from a proxy says nothing useful in a sentence.
    const detail = text.startsWith("<") ? `The server answered HTTP ${status}${statusText ? ` ${statusText}` : ""}.` : text.slice(0, 500);
    return new ApiError({ status, title: fallbackTitle, detail });
  }
  return new ApiError({ status, title: fallbackTitle, detail: `The server answered HTTP ${status}${statusText ? ` ${statusText}` : ""} without details.` });
}

const NETWORK_TITLE = "Could not reach the server";

/** Anything thrown while calling the API, as an ApiError. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.name === "RefreshUnavailableError") {
    const status = (e as Error & { status?: number }).status ?? 0;
    return new ApiError({ status, title: "Could not renew your session", detail: message, code: "refresh_unavailable" });
  }
  return new ApiError({ status: 0, title: NETWORK_TITLE, detail: message || "The request did not complete.", code: "network_error" });
}

/** One sentence for people. */
export function describeError(e: unknown): string {
  const err = toApiError(e);
  if (err.detail && err.detail !== err.title) return `${err.title}: ${err.detail}`;
  return err.title;
}

export interface MappedFieldErrors {
  /** Messages keyed by the form's field path. */
  fields: Record<string, string>;
  /** Errors that belong to no field of the form: show them in the form's banner. */
  other: FieldError[];
}

const MISSING_FIELD = /^missing field `([^`]+)`$/;

/**
 * Put each `errors[]` entry of a problem next to the form field it names. `known` are the form's field paths
 * (`name`, `settings.base_url`, `credentials.token`, and group paths like `credentials`). An error on a deeper
 * path than any field goes to the nearest known ancestor; a serde "missing field `x`" error reported on a parent
 * (`credentials`, or the empty path) goes to `parent.x` when the form has that field.
 */
export function mapFieldErrors(errors: readonly FieldError[], known: Iterable<string>): MappedFieldErrors {
  const knownSet = new Set(known);
  const fields: Record<string, string> = {};
  const other: FieldError[] = [];
  const add = (path: string, message: string) => {
    fields[path] = fields[path] ? `${fields[path]}; ${message}` : message;
  };
  for (const e of errors) {
    const m = MISSING_FIELD.exec(e.message);
    if (m) {
      const candidate = e.field ? `${e.field}.${m[1]}` : m[1]!;
      if (knownSet.has(candidate)) {
        add(candidate, "is required");
        continue;
      }
    }
    if (e.field && knownSet.has(e.field)) {
      add(e.field, e.message);
      continue;
    }
    let parent = e.field;
    let placed = false;
    while (parent.includes(".")) {
      parent = parent.slice(0, parent.lastIndexOf("."));
      if (knownSet.has(parent)) {
        add(parent, `${e.field.slice(parent.length + 1)}: ${e.message}`);
        placed = true;
        break;
      }
    }
    // Array items like `mandatory_fields[2]` belong to `mandatory_fields`.
    if (!placed) {
      const base = e.field.replace(/\[\d+\]$/, "");
      if (base !== e.field && knownSet.has(base)) {
        add(base, e.message);
        placed = true;
      }
    }
    if (!placed) other.push(e);
  }
  return { fields, other };
}
