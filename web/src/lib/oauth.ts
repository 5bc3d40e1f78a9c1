// The OAuth connect flow, as far as the browser sees it: POST /connections/{id}/connect with a `return_to` path of
// this app answers the provider's authorize URL; the provider sends the browser to the hub's callback, which
// stores the tokens, tests the connection and redirects to `return_to` with `oauth=connected|error` and
// `connection=<id>` added. These helpers build `return_to`, read and remove those parameters, and put the
// outcome and the connect endpoint's problems in words.

import { ApiError } from "../api/errors";
import type { Connection } from "../api/client";

export const OAUTH_PARAM = "oauth";
export const CONNECTION_PARAM = "connection";

export type OAuthResult = "connected" | "error";

/** What the hub's OAuth callback appended to `return_to`. */
export interface OAuthReturn {
  result: OAuthResult;
  /** The connection the flow was for; null when the parameter is missing. */
  connectionId: string | null;
}

/** Whether `path` is a path of this app (what the connect endpoint accepts as `return_to`). */
export function isAppPath(path: string): boolean {
  return path.startsWith("/") && !path.startsWith("//") && !path.includes("\\") && !/[\u0000-\u001f\u007f]/.test(path);
}

/** The oauth/connection parameters the callback added, when `search` has them. */
export function readOAuthReturn(search: string): OAuthReturn | null {
  const params = new URLSearchParams(search);
  const result = params.get(OAUTH_PARAM);
  if (result !== "connected" && result !== "error") return null;
  const connectionId = params.get(CONNECTION_PARAM)?.trim() || null;
  return { result, connectionId };
}

/**
 * `search` without the parameters the callback added (`?…` or ""), other parameters kept in order. Left as it is
 * when it has no `oauth` parameter: `connection` alone may mean something else to a page.
 */
export function withoutOAuthParams(search: string): string {
  const params = new URLSearchParams(search);
  if (!params.has(OAUTH_PARAM)) return search === "?" ? "" : search;
  params.delete(OAUTH_PARAM);
  params.delete(CONNECTION_PARAM);
  const rest = params.toString();
  return rest ? `?${rest}` : "";
}

/**
 * The `return_to` for the connect endpoint: the current page (path and query, without the parameters of an
 * earlier return and without the hash, since the hub appends its parameters to the end), or `fallback` when the
 * current path is not one the hub accepts.
 */
export function buildReturnTo(pathname: string, search: string, fallback: string): string {
  if (!isAppPath(pathname)) return fallback;
  return pathname + withoutOAuthParams(search);
}

/** The page of a connection (where the hub returns by default). */
export function connectionPath(id: string): string {
  return `/connections/${encodeURIComponent(id)}`;
}

/** Only ever send the browser to an http(s) address: never run a `javascript:` URL from a misconfigured setting. */
export function isNavigableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

export interface OAuthNotice {
  tone: "success" | "error";
  text: string;
}

/**
 * The notice after returning from the provider. `connection` is the connection as loaded after the return (its
 * `last_error` says why connecting failed); undefined when it could not be loaded. `named` prefixes the
 * connection's name (for pages that list several).
 */
export function oauthNotice(ret: OAuthReturn, connection: Connection | undefined, connectorName: string, opts: { named?: boolean } = {}): OAuthNotice {
  const named = opts.named && connection ? `“${connection.name}”` : "";
  const failed = ret.result === "error" || connection?.status === "error";
  if (!failed) {
    return { tone: "success", text: named ? `${named} is connected to ${connectorName}.` : `Connected to ${connectorName}.` };
  }
  const connecting = named ? `Connecting ${named}` : "Connecting";
  const why = connection?.last_error?.trim();
  if (why) return { tone: "error", text: `${connecting} failed: ${why}` };
  if (!connection) return { tone: "error", text: `Connecting to ${connectorName} failed; the connection could not be loaded to say why.` };
  return { tone: "error", text: `${connecting} to ${connectorName} failed. Try connecting again.` };
}

/**
 * The connect endpoint's problems in words for the admin. `where` says where the credentials can be stored
 * ("below" on the connection's page, "on the connection's page" elsewhere).
 */
export function describeConnectError(err: ApiError, where = "below"): ApiError {
  const keep = { status: err.status, code: err.code, type: err.type, errors: err.errors };
  switch (err.code) {
    case "credentials_missing":
      return new ApiError({
        ...keep,
        title: "Store the client id and secret first",
        detail: `Connecting needs the OAuth app's client id and secret. Enter them under “Replace credentials” ${where}, then connect.`,
      });
    case "not_oauth":
      return new ApiError({
        ...keep,
        title: "This connection does not sign in through OAuth",
        detail: "Store its credentials and test the connection instead.",
      });
    case "oauth_unavailable":
      return new ApiError({
        ...keep,
        title: "Could not start connecting",
        detail: err.detail ? `${err.detail.replace(/[.\s]+$/, "")}. Check the connection's settings.` : "Check the connection's settings.",
      });
    default:
      return err;
  }
}
