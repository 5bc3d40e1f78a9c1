// Loaders shared by several screens.

import { api, call, fetchAll, type Connection, type ConnectorInfo, type Integration } from "../api/client";

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
