import { describe, expect, it, vi } from "vitest";
import { SessionManager, SessionStore, type KeyValueStorage } from "../auth/session";
import { createApi } from "../api/client";
import { ApiError } from "../api/errors";
import { downloadFrom, filenameFromDisposition, saveBlob } from "./download";

const BASE = "http://hub.test";
function memory(): KeyValueStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}
function setup(handler: (req: Request) => Response | Promise<Response>) {
  const store = new SessionStore(memory());
  store.save({ accessToken: "at-1", refreshToken: "rt-1", expiresAt: Date.now() + 900_000 });
  const raw = vi.fn(async (req: Request) => handler(req));
  const session = new SessionManager({ store, fetch: raw, baseUrl: BASE, lock: (_n, fn) => fn() });
  return { api: createApi(BASE, session.fetch), raw };
}
const csv = (body: string, headers: Record<string, string> = {}) => new Response(body, { status: 200, headers: { "content-type": "text/csv; charset=utf-8", ...headers } });

describe("filenameFromDisposition", () => {
  it("reads the names servers send", () => {
    expect(filenameFromDisposition('attachment; filename="run-42.csv"')).toBe("run-42.csv");
    expect(filenameFromDisposition("attachment; filename=run-42.csv")).toBe("run-42.csv");
    expect(filenameFromDisposition("attachment; filename=\"a.csv\"; filename*=UTF-8''R%C3%A9sum%C3%A9.csv")).toBe("Résumé.csv");
    expect(filenameFromDisposition('attachment; filename="say \\"hi\\".csv"')).toBe('say "hi".csv');
  });

  it("drops folders and gives up on nothing", () => {
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe("passwd");
    expect(filenameFromDisposition("attachment")).toBeNull();
    expect(filenameFromDisposition(null)).toBeNull();
  });
});

describe("downloadFrom", () => {
  it("fetches the CSV with the bearer token and the filters, and saves it under the server's name", async () => {
    const { api, raw } = setup(() => csv("name,decision\nGrace,create\n", { "content-disposition": 'attachment; filename="run-7.csv"' }));
    const save = vi.fn();
    const name = await downloadFrom(
      api.GET("/api/v1/runs/{id}/records.csv", { params: { path: { id: "r-7" }, query: { outcome: "failed" } }, parseAs: "blob" }),
      "records.csv",
      save,
    );
    expect(name).toBe("run-7.csv");
    const req = raw.mock.calls[0]![0];
    expect(req.headers.get("authorization")).toBe("Bearer at-1");
    expect(new URL(req.url).pathname).toBe("/api/v1/runs/r-7/records.csv");
    expect(new URL(req.url).searchParams.get("outcome")).toBe("failed");
    const [blob, savedAs] = save.mock.calls[0]!;
    expect(savedAs).toBe("run-7.csv");
    expect(await (blob as Blob).text()).toBe("name,decision\nGrace,create\n");
  });

  it("falls back to a name of its own", async () => {
    const { api } = setup(() => csv("x\n"));
    const save = vi.fn();
    expect(await downloadFrom(api.GET("/api/v1/runs/{id}/records.csv", { params: { path: { id: "r" } }, parseAs: "blob" }), "run-3-records.csv", save)).toBe("run-3-records.csv");
  });

  it("says why a download was refused, and saves nothing", async () => {
    const { api } = setup(
      () => new Response(JSON.stringify({ status: 404, title: "Not found", detail: "no run r in your organisation", code: "not_found" }), { status: 404, headers: { "content-type": "application/problem+json" } }),
    );
    const save = vi.fn();
    const p = downloadFrom(api.GET("/api/v1/runs/{id}/records.csv", { params: { path: { id: "r" } }, parseAs: "blob" }), "x.csv", save);
    await expect(p).rejects.toBeInstanceOf(ApiError);
    await expect(p).rejects.toMatchObject({ status: 404, detail: "no run r in your organisation" });
    expect(save).not.toHaveBeenCalled();
  });

  it("turns a network failure into words", async () => {
    const save = vi.fn();
    await expect(downloadFrom(Promise.reject(new TypeError("Failed to fetch")), "x.csv", save)).rejects.toMatchObject({ status: 0, title: "Could not reach the server" });
  });
});

describe("saveBlob", () => {
  it("clicks a temporary link to an object URL and cleans up", () => {
    vi.useFakeTimers();
    const clicked: { href: string; download: string }[] = [];
    const link = {
      href: "",
      download: "",
      rel: "",
      style: { display: "" },
      click() {
        clicked.push({ href: this.href, download: this.download });
      },
      remove: vi.fn(),
    };
    const doc = { createElement: vi.fn(() => link), body: { appendChild: vi.fn() } } as unknown as Document;
    const urls = { createObjectURL: vi.fn(() => "blob:1"), revokeObjectURL: vi.fn() };
    saveBlob(new Blob(["a"]), "run-1.csv", doc, urls);
    expect(clicked).toEqual([{ href: "blob:1", download: "run-1.csv" }]);
    expect(link.remove).toHaveBeenCalled();
    vi.advanceTimersByTime(30_000);
    expect(urls.revokeObjectURL).toHaveBeenCalledWith("blob:1");
    vi.useRealTimers();
  });
});
