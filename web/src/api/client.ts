// The typed API client. Paths, parameters and bodies come from the generated schema, so a change of the
// OpenAPI document that the app does not follow fails `tsc`.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { ApiError, problemFromBody, toApiError } from "./errors";
import { SessionManager, SessionStore, type KeyValueStorage } from "../auth/session";

export type Schemas = components["schemas"];
export type Connection = Schemas["Connection"];
export type ConnectorInfo = Schemas["ConnectorInfo"];
export type Integration = Schemas["Integration"];
export type IntegrationSettings = Schemas["IntegrationSettings"];
export type IntegrationState = Schemas["IntegrationState"];
export type User = Schemas["User"];
export type ApiKey = Schemas["ApiKey"];
export type CreatedApiKey = Schemas["CreatedApiKey"];
export type Me = Schemas["Me"];
export type Role = Schemas["Role"];
export type PersonField = Schemas["PersonField"];
export type NewPersonTrigger = Schemas["NewPersonTrigger"];
export type DeactivationPolicy = Schemas["DeactivationPolicy"];
export type ConnectionStatus = Schemas["ConnectionStatus"];
export type Run = Schemas["Run"];
export type RunStatus = Schemas["RunStatus"];
export type RunTrigger = Schemas["RunTrigger"];
export type RunRecord = Schemas["RunRecord"];
export type Decision = Schemas["Decision"];
export type Outcome = Schemas["Outcome"];
export type Schedule = Schemas["Schedule"];
export type ScheduleInput = Schemas["ScheduleInput"];
export type IntervalUnit = Schemas["IntervalUnit"];
export type LogEntry = Schemas["LogEntry"];
export type LogLevel = Schemas["LogLevel"];
/** An item of the inbound queue: one webhook event from a source, kept until it is processed (the Queue screen). */
export type InboundQueueItem = Schemas["QueueItem"];
export type InboundQueueStatus = Schemas["QueueStatus"];
export type IntegrationDates = Schemas["IntegrationDates"];
export type Registration = Schemas["Registration"];

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

function memoryStorage(): KeyValueStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

function defaultStorage(): KeyValueStorage {
  try {
    if (typeof localStorage !== "undefined") return localStorage;
  } catch {
    /* storage disabled */
  }
  return memoryStorage();
}

const origin = typeof window !== "undefined" ? window.location.origin : "http://localhost";

export const session = new SessionManager({
  store: new SessionStore(defaultStorage()),
  fetch: (r) => globalThis.fetch(r),
  baseUrl: origin,
});

/** A typed client whose requests go through `fetch` (the session's, which adds and renews the token). */
export function createApi(baseUrl: string, fetch: (request: Request) => Promise<Response>) {
  return createClient<paths>({ baseUrl, fetch });
}

export const api = createApi(origin, session.fetch);

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Await an openapi-fetch call; resolve to its data, or throw an ApiError that says what went wrong. */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await request;
  } catch (e) {
    throw toApiError(e);
  }
  if (!r.response.ok) throw problemFromBody(r.response.status, r.error, r.response.statusText);
  return r.data as T;
}

/** Fetch every page of a cursor-paged list (for pick lists and the overview), up to `maxPages`. */
export async function fetchAll<T>(page: (cursor: string | undefined) => Promise<Page<T>>, maxPages = 25): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const p = await page(cursor);
    out.push(...p.items);
    if (!p.next_cursor) return out;
    cursor = p.next_cursor;
  }
  return out;
}

export { ApiError };
