// Token handling for the API: keeps the access/refresh pair, refreshes it shortly before expiry or after a 401,
// and makes every concurrent caller share ONE refresh (refresh tokens rotate: each works once, and the server
// revokes the whole family when one is reused, so two parallel refreshes would sign the user out).

import type { components } from "../api/schema";

export type TokenPair = components["schemas"]["TokenPair"];

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token expires. */
  expiresAt: number;
}

/** The part of the Web Storage API we use (localStorage in the browser, a Map in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const SESSION_KEY = "ihub.session";

export class SessionStore {
  constructor(
    private readonly storage: KeyValueStorage,
    readonly key: string = SESSION_KEY,
  ) {}

  load(): StoredSession | null {
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.key);
    } catch {
      return null;
    }
    if (!raw) return null;
    try {
      const v = JSON.parse(raw) as Partial<StoredSession>;
      if (typeof v.accessToken === "string" && typeof v.refreshToken === "string" && typeof v.expiresAt === "number") {
        return { accessToken: v.accessToken, refreshToken: v.refreshToken, expiresAt: v.expiresAt };
      }
    } catch {
      /* corrupt entry: treat as signed out */
    }
    return null;
  }

  save(session: StoredSession): void {
    this.storage.setItem(this.key, JSON.stringify(session));
  }

  clear(): void {
    try {
      this.storage.removeItem(this.key);
    } catch {
      /* storage unavailable: nothing to clear */
    }
  }
}

/** Runs `fn` while holding a lock shared by every tab of this origin (navigator.locks), when the browser has it. */
export type LockRunner = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export const browserLock: LockRunner = (name, fn) => {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (locks && typeof locks.request === "function") {
    return locks.request(name, fn) as ReturnType<typeof fn>;
  }
  return fn();
};

export type SessionEndReason = "expired" | "signed_out";

/** A refresh that could not be attempted or answered for a reason other than a rejected refresh token. */
export class RefreshUnavailableError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "RefreshUnavailableError";
  }
}

export interface SessionManagerOptions {
  store: SessionStore;
  /** The network fetch; called with Request objects. */
  fetch: (request: Request) => Promise<Response>;
  /** Absolute origin of the API, e.g. `https://hub.example.com` (the app is same-origin in production). */
  baseUrl: string;
  now?: () => number;
  /** Refresh when the access token has less than this long left (ms). */
  refreshLeewayMs?: number;
  lock?: LockRunner;
}

const AUTH_PATHS = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"];

export function isAuthEndpoint(url: string): boolean {
  let path: string;
  try {
    path = new URL(url, "http://localhost").pathname;
  } catch {
    return false;
  }
  return AUTH_PATHS.some((p) => path === p || path === p + "/");
}

export class SessionManager {
  private readonly store: SessionStore;
  private readonly rawFetch: (request: Request) => Promise<Response>;
  private readonly baseUrl: string;
  private readonly now: () => number;
  private readonly leeway: number;
  private readonly lock: LockRunner;
  private inflight: Promise<string | null> | null = null;
  private readonly endListeners = new Set<(reason: SessionEndReason) => void>();

  constructor(opts: SessionManagerOptions) {
    this.store = opts.store;
    this.rawFetch = opts.fetch;
    this.baseUrl = opts.baseUrl.replace(/\/$/, "");
    this.now = opts.now ?? Date.now;
    this.leeway = opts.refreshLeewayMs ?? 60_000;
    this.lock = opts.lock ?? browserLock;
  }

  /** Subscribe to the end of the session (refresh rejected, or sign-out). Returns the unsubscribe function. */
  onEnd(listener: (reason: SessionEndReason) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  isSignedIn(): boolean {
    return this.store.load() !== null;
  }

  current(): StoredSession | null {
    return this.store.load();
  }

  /** Store a pair answered by login or refresh. */
  accept(pair: TokenPair): StoredSession {
    const session: StoredSession = {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: this.now() + Math.max(0, pair.expires_in) * 1000,
    };
    this.store.save(session);
    return session;
  }

  /** Forget the session locally and tell listeners. */
  end(reason: SessionEndReason): void {
    this.store.clear();
    for (const l of [...this.endListeners]) l(reason);
  }

  /** A usable access token: refreshed first when it is about to expire. Null when signed out. */
  async accessToken(): Promise<string | null> {
    const s = this.store.load();
    if (!s) return null;
    if (s.expiresAt - this.now() > this.leeway) return s.accessToken;
    return this.refresh(s.accessToken);
  }

  /**
   * Exchange the refresh token for a new pair. Concurrent callers share one request. `stale` is the access token
   * the caller found wanting: if the stored one already differs (another request or tab refreshed meanwhile),
   * that one is returned without a second refresh. Resolves to null when the session has ended.
   */
  refresh(stale?: string): Promise<string | null> {
    if (!this.inflight) {
      this.inflight = this.lock("ihub-token-refresh", () => this.doRefresh(stale)).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async doRefresh(stale: string | undefined): Promise<string | null> {
    const s = this.store.load();
    if (!s) return null;
    if (stale !== undefined && s.accessToken !== stale && s.expiresAt - this.now() > this.leeway) {
      return s.accessToken;
    }
    let res: Response;
    try {
      res = await this.rawFetch(
        new Request(`${this.baseUrl}/api/v1/auth/refresh`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ refresh_token: s.refreshToken }),
        }),
      );
    } catch (e) {
      // Offline or server unreachable: keep the session, the next request tries again.
      throw new RefreshUnavailableError(
        `Could not reach the server to renew the session (${e instanceof Error ? e.message : String(e)})`,
        0,
      );
    }
    if (res.ok) {
      const pair = (await res.json()) as TokenPair;
      return this.accept(pair).accessToken;
    }
    if (res.status === 400 || res.status === 401 || res.status === 403 || res.status === 422) {
      this.end("expired");
      return null;
    }
    throw new RefreshUnavailableError(`The server could not renew the session (HTTP ${res.status})`, res.status);
  }

  /**
   * fetch for the API client: adds the bearer token, and on a 401 refreshes once (shared) and retries the
   * original request once. Auth endpoints pass through untouched.
   */
  readonly fetch = async (input: Request): Promise<Response> => {
    if (isAuthEndpoint(input.url)) return this.rawFetch(input);
    const spare = input.clone();
    const token = await this.accessToken();
    const res = await this.rawFetch(withBearer(input, token));
    if (res.status !== 401 || token === null) return res;
    const fresh = await this.refresh(token);
    if (fresh === null) return res;
    return this.rawFetch(withBearer(spare, fresh));
  };
}

function withBearer(request: Request, token: string | null): Request {
  if (token === null) return request;
  const r = new Request(request);
  r.headers.set("Authorization", `Bearer ${token}`);
  return r;
}
