import { describe, expect, it, vi } from "vitest";
import { SessionManager, SessionStore, isAuthEndpoint, RefreshUnavailableError, type KeyValueStorage, type LockRunner } from "./session";

const BASE = "http://hub.test";

function memory(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" } });
}

const UNAUTH = { type: "urn:ihub:problem:unauthenticated", title: "Not signed in", status: 401, detail: "token expired", code: "unauthenticated" };

/** A fake server: access tokens `at-N` are valid while N equals the current generation; refresh tokens rotate. */
function fakeServer() {
  let gen = 1;
  let validRefresh = new Set(["rt-1"]);
  const refreshCalls: string[] = [];
  const seen: { url: string; auth: string | null; body: string }[] = [];
  let refreshGate: Promise<void> | null = null;
  let failRefreshWith: number | null = null;
  const fetch = vi.fn(async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const body = req.method === "GET" ? "" : await req.text();
    seen.push({ url: url.pathname, auth: req.headers.get("authorization"), body });
    if (url.pathname === "/api/v1/auth/refresh") {
      const { refresh_token } = JSON.parse(body) as { refresh_token: string };
      refreshCalls.push(refresh_token);
      if (refreshGate) await refreshGate;
      if (failRefreshWith !== null) return json(failRefreshWith, { ...UNAUTH, status: failRefreshWith, detail: "refresh token is invalid or expired" });
      if (!validRefresh.has(refresh_token)) {
        validRefresh = new Set(); // reuse detected: the whole family is revoked
        return json(401, { ...UNAUTH, detail: "refresh token is invalid or expired" });
      }
      gen += 1;
      validRefresh = new Set([`rt-${gen}`]);
      return json(200, { access_token: `at-${gen}`, refresh_token: `rt-${gen}`, token_type: "Bearer", expires_in: 900 });
    }
    if (req.headers.get("authorization") !== `Bearer at-${gen}`) return json(401, UNAUTH);
    return json(200, { path: url.pathname, body });
  });
  return {
    fetch,
    seen,
    refreshCalls,
    setGen: (g: number) => (gen = g),
    gateRefresh: () => {
      let open!: () => void;
      refreshGate = new Promise<void>((r) => (open = r));
      return () => {
        refreshGate = null;
        open();
      };
    },
    failRefresh: (status: number | null) => (failRefreshWith = status),
  };
}

function setup(opts: { now?: () => number; lock?: LockRunner } = {}) {
  const storage = memory();
  const store = new SessionStore(storage);
  const server = fakeServer();
  const now = opts.now ?? (() => 1_000_000);
  store.save({ accessToken: "at-1", refreshToken: "rt-1", expiresAt: now() + 900_000 });
  const manager = new SessionManager({ store, fetch: server.fetch, baseUrl: BASE, now, lock: opts.lock });
  return { storage, store, server, manager };
}

const get = (path: string) => new Request(`${BASE}${path}`);
const post = (path: string, body: unknown) =>
  new Request(`${BASE}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("SessionManager.fetch", () => {
  it("sends the bearer token", async () => {
    const { manager, server } = setup();
    const res = await manager.fetch(get("/api/v1/me"));
    expect(res.status).toBe(200);
    expect(server.seen[0]!.auth).toBe("Bearer at-1");
    expect(server.refreshCalls).toHaveLength(0);
  });

  it("on a 401 refreshes once and retries the original request with its body", async () => {
    const { manager, server, store } = setup();
    server.setGen(2); // the server now expects at-2, so the stored at-1 is refused; rt-1 is still good
    const res = await manager.fetch(post("/api/v1/connections", { name: "LMS" }));
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { body: string };
    expect(JSON.parse(answer.body)).toEqual({ name: "LMS" });
    expect(server.refreshCalls).toEqual(["rt-1"]);
    expect(store.load()?.refreshToken).toBe("rt-3");
    const last = server.seen.at(-1)!;
    expect(last.auth).toBe("Bearer at-3");
  });

  it("shares ONE refresh between concurrent 401s and retries each request", async () => {
    const { manager, server } = setup();
    server.setGen(2);
    const release = server.gateRefresh();
    const pending = Promise.all([
      manager.fetch(get("/api/v1/me")),
      manager.fetch(get("/api/v1/connections")),
      manager.fetch(post("/api/v1/integrations", { name: "x" })),
    ]);
    // let all three hit the 401 and queue behind the one refresh
    await new Promise((r) => setTimeout(r, 10));
    release();
    const results = await pending;
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.refreshCalls).toEqual(["rt-1"]);
    const retried = server.seen.filter((s) => s.auth === "Bearer at-3").map((s) => s.url).sort();
    expect(retried).toEqual(["/api/v1/connections", "/api/v1/integrations", "/api/v1/me"]);
  });

  it("does not refresh again when another caller already refreshed", async () => {
    const { manager, server, store } = setup();
    server.setGen(2);
    await manager.fetch(get("/api/v1/me")); // refreshes to generation 3
    expect(server.refreshCalls).toHaveLength(1);
    // a request that started with the old token and got its 401 late
    const token = await manager.refresh("at-1");
    expect(token).toBe("at-3");
    expect(server.refreshCalls).toHaveLength(1);
    expect(store.load()?.accessToken).toBe("at-3");
  });

  it("refreshes before sending when the access token is about to expire", async () => {
    let t = 1_000_000;
    const { manager, server } = setup({ now: () => t });
    server.setGen(1);
    t += 900_000 - 30_000; // 30 s left, inside the 60 s leeway
    const res = await manager.fetch(get("/api/v1/me"));
    // the proactive refresh issued at-2 and the request used it
    expect(server.refreshCalls).toEqual(["rt-1"]);
    expect(server.seen.at(-1)!.auth).toBe("Bearer at-2");
    expect(res.status).toBe(200);
  });

  it("ends the session when the refresh is refused, and hands the 401 back", async () => {
    const { manager, server, store } = setup();
    server.setGen(2);
    server.failRefresh(401);
    const ended = vi.fn();
    manager.onEnd(ended);
    const res = await manager.fetch(get("/api/v1/me"));
    expect(res.status).toBe(401);
    expect(ended).toHaveBeenCalledWith("expired");
    expect(ended).toHaveBeenCalledTimes(1);
    expect(store.load()).toBeNull();
  });

  it("concurrent 401s with a refused refresh end the session once", async () => {
    const { manager, server } = setup();
    server.setGen(2);
    server.failRefresh(401);
    const ended = vi.fn();
    manager.onEnd(ended);
    const res = await Promise.all([manager.fetch(get("/a")), manager.fetch(get("/b"))]);
    expect(res.map((r) => r.status)).toEqual([401, 401]);
    expect(server.refreshCalls).toHaveLength(1);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("keeps the session when the refresh fails for a server error", async () => {
    const { manager, server, store } = setup();
    server.setGen(2);
    server.failRefresh(503);
    const ended = vi.fn();
    manager.onEnd(ended);
    await expect(manager.fetch(get("/api/v1/me"))).rejects.toBeInstanceOf(RefreshUnavailableError);
    expect(ended).not.toHaveBeenCalled();
    expect(store.load()?.refreshToken).toBe("rt-1");
  });

  it("does not retry more than once", async () => {
    const { manager, server } = setup();
    // every call with a bearer gets a 401, even after the refresh
    server.fetch.mockImplementation(async (req: Request) => {
      const path = new URL(req.url).pathname;
      if (path === "/api/v1/auth/refresh") return json(200, { access_token: "at-x", refresh_token: "rt-x", token_type: "Bearer", expires_in: 900 });
      return json(401, UNAUTH);
    });
    const res = await manager.fetch(get("/api/v1/me"));
    expect(res.status).toBe(401);
    expect(server.fetch).toHaveBeenCalledTimes(3); // request, refresh, one retry
  });

  it("passes auth endpoints through untouched", async () => {
    const { manager, server } = setup();
    await manager.fetch(post("/api/v1/auth/login", { email: "a@b.c", password: "x" }));
    expect(server.seen[0]!.auth).toBeNull();
  });

  it("sends no token and does not refresh when signed out", async () => {
    const { manager, server, store } = setup();
    store.clear();
    const res = await manager.fetch(get("/api/v1/me"));
    expect(res.status).toBe(401);
    expect(server.seen[0]!.auth).toBeNull();
    expect(server.refreshCalls).toHaveLength(0);
  });

  it("runs the refresh inside the cross-tab lock and re-reads storage there", async () => {
    const { server, store } = setup();
    server.setGen(5);
    // Another tab refreshes while we wait for the lock: by the time we hold it, storage has the new pair.
    const lock: LockRunner = async (_name, fn) => {
      store.save({ accessToken: "at-5", refreshToken: "rt-5", expiresAt: 1_000_000 + 900_000 });
      return fn();
    };
    const m2 = new SessionManager({ store, fetch: server.fetch, baseUrl: BASE, now: () => 1_000_000, lock });
    const res = await m2.fetch(get("/api/v1/me"));
    expect(res.status).toBe(200);
    expect(server.refreshCalls).toHaveLength(0);
    expect(server.seen.at(-1)!.auth).toBe("Bearer at-5");
  });
});

describe("SessionStore", () => {
  it("treats corrupt storage as signed out", () => {
    const storage = memory();
    storage.setItem("ihub.session", "{not json");
    expect(new SessionStore(storage).load()).toBeNull();
    storage.setItem("ihub.session", JSON.stringify({ accessToken: "a" }));
    expect(new SessionStore(storage).load()).toBeNull();
  });

  it("accept() stores the expiry from expires_in", () => {
    const storage = memory();
    const store = new SessionStore(storage);
    const m = new SessionManager({ store, fetch: vi.fn(), baseUrl: BASE, now: () => 5000 });
    m.accept({ access_token: "a", refresh_token: "r", token_type: "Bearer", expires_in: 900 });
    expect(store.load()).toEqual({ accessToken: "a", refreshToken: "r", expiresAt: 905_000 });
  });
});

describe("isAuthEndpoint", () => {
  it("matches only the auth endpoints", () => {
    expect(isAuthEndpoint(`${BASE}/api/v1/auth/login`)).toBe(true);
    expect(isAuthEndpoint(`${BASE}/api/v1/auth/refresh`)).toBe(true);
    expect(isAuthEndpoint(`${BASE}/api/v1/auth/logout`)).toBe(true);
    expect(isAuthEndpoint(`${BASE}/api/v1/me`)).toBe(false);
    expect(isAuthEndpoint(`${BASE}/api/v1/connections/auth/login-x`)).toBe(false);
  });
});
