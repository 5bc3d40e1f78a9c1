import { describe, expect, it } from "vitest";
import type { Connection } from "../api/client";
import { ApiError, problemFromBody } from "../api/errors";
import { buildReturnTo, connectionPath, describeConnectError, isAppPath, isNavigableUrl, oauthNotice, readOAuthReturn, withoutOAuthParams } from "./oauth";

const ID = "01a21245-9613-77d5-8585-cec059c2cbf0";

function connection(over: Partial<Connection> = {}): Connection {
  return {
    id: ID,
    name: "EH production",
    connector: "employment_hero",
    settings: {},
    status: "connected",
    last_error: null,
    checked_at: "2026-11-25T10:00:00Z",
    has_credentials: true,
    created_at: "2026-11-25T09:00:00Z",
    updated_at: "2026-11-25T10:00:00Z",
    ...over,
  };
}

describe("readOAuthReturn", () => {
  it("reads what the callback appended", () => {
    expect(readOAuthReturn(`?oauth=connected&connection=${ID}`)).toEqual({ result: "connected", connectionId: ID });
    expect(readOAuthReturn(`?tab=x&oauth=error&connection=${ID}`)).toEqual({ result: "error", connectionId: ID });
    expect(readOAuthReturn("?oauth=error")).toEqual({ result: "error", connectionId: null });
    expect(readOAuthReturn("?oauth=error&connection=")).toEqual({ result: "error", connectionId: null });
  });
  it("ignores pages not reached from the callback", () => {
    for (const search of ["", "?", "?connection=x", "?oauth=", "?oauth=maybe&connection=x", "?OAUTH=connected"]) {
      expect(readOAuthReturn(search)).toBeNull();
    }
  });
});

describe("withoutOAuthParams", () => {
  it("removes oauth and connection, keeping other parameters in order", () => {
    expect(withoutOAuthParams(`?oauth=connected&connection=${ID}`)).toBe("");
    expect(withoutOAuthParams(`?a=1&oauth=error&connection=${ID}&b=2`)).toBe("?a=1&b=2");
  });
  it("leaves a query without oauth alone", () => {
    expect(withoutOAuthParams("")).toBe("");
    expect(withoutOAuthParams("?")).toBe("");
    expect(withoutOAuthParams("?connection=abc&x=1")).toBe("?connection=abc&x=1");
  });
});

describe("buildReturnTo", () => {
  it("is the current page without the parameters of an earlier return", () => {
    expect(buildReturnTo(connectionPath(ID), "", "/connections")).toBe(`/connections/${ID}`);
    expect(buildReturnTo(`/connections/${ID}`, `?oauth=error&connection=${ID}`, "/connections")).toBe(`/connections/${ID}`);
    expect(buildReturnTo("/connections", "?view=all&oauth=connected&connection=x", "/")).toBe("/connections?view=all");
  });
  it("falls back when the path is not one the hub accepts", () => {
    for (const bad of ["", "connections", "//evil.example/x", "/\\evil.example", "/a\nb"]) {
      expect(buildReturnTo(bad, "", `/connections/${ID}`)).toBe(`/connections/${ID}`);
    }
  });
  it("accepts only paths of this app", () => {
    expect(isAppPath("/connections")).toBe(true);
    expect(isAppPath("https://evil.example")).toBe(false);
    expect(isAppPath("//evil.example")).toBe(false);
  });
});

describe("isNavigableUrl", () => {
  it("allows http(s) addresses only", () => {
    expect(isNavigableUrl("https://oauth.employmenthero.com/oauth2/authorize?client_id=a&state=b")).toBe(true);
    expect(isNavigableUrl("http://127.0.0.1:8092/x")).toBe(true);
    expect(isNavigableUrl("javascript:alert(1)")).toBe(false);
    expect(isNavigableUrl("/relative")).toBe(false);
    expect(isNavigableUrl("")).toBe(false);
  });
});

describe("oauthNotice", () => {
  it("says the connection is connected", () => {
    expect(oauthNotice({ result: "connected", connectionId: ID }, connection(), "Employment Hero")).toEqual({ tone: "success", text: "Connected to Employment Hero." });
    expect(oauthNotice({ result: "connected", connectionId: ID }, connection(), "Employment Hero", { named: true }).text).toBe("“EH production” is connected to Employment Hero.");
  });
  it("says why connecting failed", () => {
    const failed = connection({ status: "error", last_error: "the provider refused the authorisation: access_denied" });
    expect(oauthNotice({ result: "error", connectionId: ID }, failed, "Employment Hero")).toEqual({
      tone: "error",
      text: "Connecting failed: the provider refused the authorisation: access_denied",
    });
    expect(oauthNotice({ result: "error", connectionId: ID }, failed, "Employment Hero", { named: true }).text).toBe(
      "Connecting “EH production” failed: the provider refused the authorisation: access_denied",
    );
    // The connection's status wins over a stale or tampered parameter.
    expect(oauthNotice({ result: "connected", connectionId: ID }, failed, "Employment Hero").tone).toBe("error");
    expect(oauthNotice({ result: "error", connectionId: ID }, connection({ status: "error" }), "Employment Hero").text).toBe("Connecting to Employment Hero failed. Try connecting again.");
    expect(oauthNotice({ result: "error", connectionId: ID }, undefined, "the provider").text).toMatch(/could not be loaded/);
  });
});

describe("describeConnectError", () => {
  const problem = (code: string, detail: string) => problemFromBody(409, { type: `urn:ihub:problem:${code}`, title: "Conflict", status: 409, detail, code });

  it("tells the admin to store the client id and secret first", () => {
    const e = describeConnectError(problem("credentials_missing", "store the OAuth app's client id and secret as credentials before connecting"));
    expect(e.title).toBe("Store the client id and secret first");
    expect(e.detail).toMatch(/under “Replace credentials” below/);
    expect(e.code).toBe("credentials_missing");
    expect(e.status).toBe(409);
    expect(describeConnectError(problem("credentials_missing", ""), "on the connection's page").detail).toMatch(/on the connection's page, then connect/);
  });
  it("explains not_oauth and oauth_unavailable", () => {
    expect(describeConnectError(problem("not_oauth", "scim connections do not connect through OAuth")).title).toMatch(/does not sign in through OAuth/);
    expect(describeConnectError(problem("oauth_unavailable", "settings: authorize_url is not a URL.")).detail).toBe("settings: authorize_url is not a URL. Check the connection's settings.");
  });
  it("leaves other problems as they are", () => {
    const e = new ApiError({ status: 403, title: "Not allowed", code: "forbidden" });
    expect(describeConnectError(e)).toBe(e);
  });
});
