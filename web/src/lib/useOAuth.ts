// The OAuth connect flow in the screens: starting it (Connect buttons) and the notice after coming back.

import { useCallback, useEffect, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { api, call, type Connection, type ConnectorInfo } from "../api/client";
import { ApiError, toApiError } from "../api/errors";
import { connectorName } from "./data";
import { describeConnectError, isNavigableUrl, oauthNotice, readOAuthReturn, withoutOAuthParams, type OAuthNotice, type OAuthReturn } from "./oauth";

export interface ConnectState {
  /** The id of the connection being connected (the browser is about to leave), or null. */
  connecting: string | null;
  error: ApiError | null;
  clearError: () => void;
  /** Ask the hub for the provider's sign-in address and send the browser there. */
  start: (id: string, returnTo: string) => Promise<void>;
}

/** `where` says where the client id and secret can be stored, for the credentials_missing problem. */
export function useConnect(where: string): ConnectState {
  const [connecting, setConnecting] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  // Back from the provider's page may restore this page from the back/forward cache, still "connecting".
  useEffect(() => {
    const onShow = (e: PageTransitionEvent) => {
      if (e.persisted) setConnecting(null);
    };
    window.addEventListener("pageshow", onShow);
    return () => window.removeEventListener("pageshow", onShow);
  }, []);

  const start = useCallback(
    async (id: string, returnTo: string) => {
      setConnecting(id);
      setError(null);
      try {
        const { authorize_url } = await call(api.POST("/api/v1/connections/{id}/connect", { params: { path: { id } }, body: { return_to: returnTo } }));
        if (!isNavigableUrl(authorize_url)) {
          throw new ApiError({ status: 0, title: "Could not start connecting", detail: `The hub answered a sign-in address the browser cannot open: ${authorize_url}`, code: "bad_authorize_url" });
        }
        window.location.assign(authorize_url);
        // Stay "connecting": the browser is leaving the app.
      } catch (e) {
        setError(describeConnectError(toApiError(e), where));
        setConnecting(null);
      }
    },
    [where],
  );
  const clearError = useCallback(() => setError(null), []);
  return { connecting, error, clearError, start };
}

export interface OAuthReturnState {
  /** The notice to show; null when the page was not reached from the callback (or until the connection loaded). */
  notice: OAuthNotice | null;
  /** The connection as loaded after the return, when this hook loaded it (not the page's own). */
  connection: Connection | undefined;
  dismiss: () => void;
}

/**
 * The outcome of an OAuth connect flow when the page was reached from the hub's callback (`?oauth=…&connection=…`).
 * The parameters are removed from the address at once (a replace, so a reload or Back does not show the notice
 * again); the notice is worded once the connection is loaded: `page` is the page's own connection when
 * `pageId` names it (the connection page), otherwise the connection named by the parameter is fetched.
 */
export function useOAuthReturn(opts: {
  pageId?: string;
  page?: Connection;
  connectors?: readonly ConnectorInfo[];
  /** Wait for the connectors (to name the provider) while they load. */
  connectorsLoading?: boolean;
  named?: boolean;
}): OAuthReturnState {
  const location = useLocation();
  const navigate = useNavigate();
  const [ret, setRet] = useState<OAuthReturn | null>(() => readOAuthReturn(location.search));
  const [fetched, setFetched] = useState<{ id: string; connection: Connection | undefined } | null>(null);

  useEffect(() => {
    const found = readOAuthReturn(location.search);
    if (!found) return;
    setRet(found);
    // navigate(replace) is history.replaceState that the router also sees.
    navigate({ pathname: location.pathname, search: withoutOAuthParams(location.search), hash: location.hash }, { replace: true, state: location.state });
  }, [location, navigate]);

  const targetId = ret ? (ret.connectionId ?? opts.pageId ?? null) : null;
  const onPage = targetId !== null && targetId === opts.pageId;

  useEffect(() => {
    if (!targetId || onPage) return;
    let live = true;
    call(api.GET("/api/v1/connections/{id}", { params: { path: { id: targetId } } })).then(
      (connection) => live && setFetched({ id: targetId, connection }),
      () => live && setFetched({ id: targetId, connection: undefined }),
    );
    return () => {
      live = false;
    };
  }, [targetId, onPage]);

  const dismiss = useCallback(() => setRet(null), []);

  let notice: OAuthNotice | null = null;
  let connection: Connection | undefined;
  if (ret && !opts.connectorsLoading) {
    if (onPage) {
      connection = opts.page;
      if (opts.page) notice = oauthNotice(ret, opts.page, providerName(opts.connectors, opts.page), { named: opts.named });
    } else if (!targetId) {
      notice = oauthNotice(ret, undefined, "the provider");
    } else if (fetched?.id === targetId) {
      connection = fetched.connection;
      notice = oauthNotice(ret, connection, providerName(opts.connectors, connection), { named: opts.named });
    }
  }
  return { notice, connection: onPage ? undefined : connection, dismiss };
}

function providerName(connectors: readonly ConnectorInfo[] | undefined, connection: Connection | undefined): string {
  if (!connection) return "the provider";
  const name = connectorName(connectors, connection.connector);
  return name === connection.connector && !connectors ? "the provider" : name;
}
