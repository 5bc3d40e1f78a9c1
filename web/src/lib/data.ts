// Loaders shared by several screens.

import { api, call, fetchAll, type Connection, type ConnectorInfo, type Integration, type Run, type RunStatus, type RunTrigger, type Schedule } from "../api/client";

export const PAGE_SIZE = 25;

let connectorsPromise: Promise<ConnectorInfo[]> | null = null;

/** The connector catalogue (the same for every organisation): loaded once, retried after a failure. */
export function loadConnectors(): Promise<ConnectorInfo[]> {
  if (!connectorsPromise) {
    connectorsPromise = call(api.GET("/api/v1/connectors")).then(
      (r) => r.items,
      (e: unknown) => {
        connectorsPromise = null;
        throw e;
      },
    );
  }
  return connectorsPromise;
}

export function connectionsPage(cursor: string | undefined, limit = PAGE_SIZE) {
  return call(api.GET("/api/v1/connections", { params: { query: { limit, cursor } } }));
}

export function integrationsPage(cursor: string | undefined, limit = PAGE_SIZE) {
  return call(api.GET("/api/v1/integrations", { params: { query: { limit, cursor } } }));
}

export function allConnections(): Promise<Connection[]> {
  return fetchAll((c) => connectionsPage(c, 200));
}

export function allIntegrations(): Promise<Integration[]> {
  return fetchAll((c) => integrationsPage(c, 200));
}

export function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.id, i]));
}

export function connectorName(connectors: readonly ConnectorInfo[] | undefined, kind: string): string {
  return connectors?.find((c) => c.kind === kind)?.name ?? kind;
}

export function runsPage(integrationId: string, query: { status?: RunStatus; trigger?: RunTrigger; from?: string; to?: string }, cursor: string | undefined, limit = PAGE_SIZE) {
  return call(api.GET("/api/v1/integrations/{id}/runs", { params: { path: { id: integrationId }, query: { ...query, limit, cursor } } }));
}

/** The newest run of an integration, if it has one. */
export async function latestRun(integrationId: string): Promise<Run | null> {
  return (await runsPage(integrationId, {}, undefined, 1)).items[0] ?? null;
}

export function allSchedules(query: { integration_id?: string; active?: boolean } = {}): Promise<Schedule[]> {
  return fetchAll((cursor) => call(api.GET("/api/v1/schedules", { params: { query: { ...query, limit: 200, cursor } } })));
}

/** The soonest next run of the active schedules, per integration. */
export function nextRunByIntegration(schedules: readonly Schedule[]): Map<string, Schedule> {
  const out = new Map<string, Schedule>();
  for (const s of schedules) {
    if (!s.active || !s.next_run_at) continue;
    const cur = out.get(s.integration_id);
    if (!cur || Date.parse(s.next_run_at) < Date.parse(cur.next_run_at!)) out.set(s.integration_id, s);
  }
  return out;
}
