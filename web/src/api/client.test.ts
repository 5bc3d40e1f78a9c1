// The typed client, the session's fetch and call() together: what the screens rely on.
import { describe, expect, it, vi } from "vitest";
import { SessionManager, SessionStore, type KeyValueStorage } from "../auth/session";
import { ApiError } from "./errors";
import { call, createApi, fetchAll } from "./client";

const BASE = "http://hub.test";

function memory(): KeyValueStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}
const problem = (status: number, body: object) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/problem+json" } });
const ok = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function setup(handler: (req: Request) => Promise<Response> | Response) {
  const store = new SessionStore(memory());
  store.save({ accessToken: "at-1", refreshToken: "rt-1", expiresAt: Date.now() + 900_000 });
  const raw = vi.fn(async (req: Request) => handler(req));
  const session = new SessionManager({ store, fetch: raw, baseUrl: BASE, lock: (_n, fn) => fn() });
  return { api: createApi(BASE, session.fetch), raw, session, store };
}

describe("call() over the typed client", () => {
  it("returns the data and sends the bearer token", async () => {
    const { api, raw } = setup(() => ok({ id: "u", email: "a@b.c", name: "A", role: "admin", organisation: { id: "o", name: "Acme", timezone: "Australia/Sydney" } }));
    const me = await call(api.GET("/api/v1/me"));
    expect(me.organisation.timezone).toBe("Australia/Sydney");
    expect(raw.mock.calls[0]![0].headers.get("authorization")).toBe("Bearer at-1");
  });

  it("turns a problem+json answer into an ApiError with its field errors", async () => {
    const { api } = setup(() =>
      problem(422, {
        type: "urn:ihub:problem:validation_error",
        title: "Request is invalid",
        status: 422,
        detail: "settings.base_url: must be an absolute http(s) URL",
        code: "validation_error",
        errors: [{ field: "settings.base_url", message: "must be an absolute http(s) URL" }],
      }),
    );
    const err = await call(api.POST("/api/v1/connections", { body: { name: "x", connector: "scim", settings: { base_url: "nope" } } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).errors).toEqual([{ field: "settings.base_url", message: "must be an absolute http(s) URL" }]);
  });

  it("says something when a 409 comes without a body", async () => {
    const { api } = setup(() => new Response(null, { status: 409 }));
    const err = (await call(api.DELETE("/api/v1/connections/{id}", { params: { path: { id: "c1" } } })).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(409);
    expect(err.title).toBe("Conflict");
  });

  it("resolves a 204 to undefined", async () => {
    const { api } = setup(() => new Response(null, { status: 204 }));
    await expect(call(api.DELETE("/api/v1/integrations/{id}", { params: { path: { id: "i1" } } }))).resolves.toBeUndefined();
  });

  it("renews the token on a 401 and retries the POST with its body", async () => {
    const seen: string[] = [];
    const { api, store } = setup(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/api/v1/auth/refresh") return ok({ access_token: "at-2", refresh_token: "rt-2", token_type: "Bearer", expires_in: 900 });
      seen.push(`${req.headers.get("authorization")} ${await req.text()}`);
      if (req.headers.get("authorization") !== "Bearer at-2") return problem(401, { title: "Not signed in", status: 401, detail: "expired", code: "unauthenticated", type: "x" });
      return ok({ id: "k", name: "script", role: "support", prefix: "ihub_x", created_by: "u", created_at: "2026-01-01T00:00:00Z", secret: "ihub_secret" }, 201);
    });
    const key = await call(api.POST("/api/v1/api-keys", { body: { name: "script" } }));
    expect(key.secret).toBe("ihub_secret");
    expect(seen).toEqual(['Bearer at-1 {"name":"script"}', 'Bearer at-2 {"name":"script"}']);
    expect(store.load()?.refreshToken).toBe("rt-2");
  });

  it("passes query parameters for cursor paging and gathers every page", async () => {
    const { api, raw } = setup((req) => {
      const cursor = new URL(req.url).searchParams.get("cursor");
      return ok(cursor ? { items: [{ id: "b" }], next_cursor: null } : { items: [{ id: "a" }], next_cursor: "c2" });
    });
    const all = await fetchAll((cursor) => call(api.GET("/api/v1/users", { params: { query: { limit: 1, cursor } } })));
    expect(all.map((u) => u.id)).toEqual(["a", "b"]);
    expect(new URL(raw.mock.calls[1]![0].url).search).toBe("?limit=1&cursor=c2");
  });

  it("reports an unreachable server in words", async () => {
    const { api } = setup(() => {
      throw new TypeError("fetch failed");
    });
    const err = (await call(api.GET("/api/v1/me")).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toBe("Could not reach the server: fetch failed");
  });
});
