import { describe, expect, it } from "vitest";
import { ApiError, describeError, mapFieldErrors, problemFromBody, toApiError } from "./errors";

describe("problemFromBody", () => {
  it("reads a problem+json document", () => {
    const e = problemFromBody(422, {
      type: "urn:ihub:problem:validation_error",
      title: "Request is invalid",
      status: 422,
      detail: "name: must not be empty",
      code: "validation_error",
      errors: [{ field: "name", message: "must not be empty" }, { bogus: true }],
    });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.code).toBe("validation_error");
    expect(e.errors).toEqual([{ field: "name", message: "must not be empty" }]);
    expect(describeError(e)).toBe("Request is invalid: name: must not be empty");
  });

  it("says something for an empty or non-JSON body", () => {
    expect(describeError(problemFromBody(502, undefined, "Bad Gateway"))).toBe(
      "Bad gateway: The server answered HTTP 502 Bad Gateway without details.",
    );
    expect(describeError(problemFromBody(500, "<html><body>oops</body></html>"))).toBe("Server error: The server answered HTTP 500.");
    expect(describeError(problemFromBody(418, "I'm a teapot"))).toBe("HTTP 418: I'm a teapot");
  });

  it("builds a detail from field errors when the detail is missing", () => {
    const e = problemFromBody(422, { errors: [{ field: "email", message: "is taken" }] });
    expect(e.title).toBe("Request is invalid");
    expect(e.detail).toBe("email: is taken");
  });
});

describe("toApiError", () => {
  it("turns a network failure into status 0", () => {
    const e = toApiError(new TypeError("Failed to fetch"));
    expect(e.status).toBe(0);
    expect(describeError(e)).toBe("Could not reach the server: Failed to fetch");
  });

  it("keeps an ApiError as it is", () => {
    const e = new ApiError({ status: 409, title: "Conflict", detail: "in use" });
    expect(toApiError(e)).toBe(e);
  });
});

describe("mapFieldErrors", () => {
  const known = ["name", "settings", "settings.base_url", "credentials", "credentials.token"];

  it("puts each error next to its field and keeps the rest", () => {
    const r = mapFieldErrors(
      [
        { field: "name", message: "must not be empty" },
        { field: "settings.base_url", message: "must be an absolute http(s) URL" },
        { field: "connector", message: "unknown connector" },
      ],
      known,
    );
    expect(r.fields).toEqual({ name: "must not be empty", "settings.base_url": "must be an absolute http(s) URL" });
    expect(r.other).toEqual([{ field: "connector", message: "unknown connector" }]);
  });

  it("joins several messages for one field", () => {
    const r = mapFieldErrors([{ field: "name", message: "a" }, { field: "name", message: "b" }], known);
    expect(r.fields.name).toBe("a; b");
  });

  it("maps serde's missing-field errors on a parent to the child field", () => {
    const r = mapFieldErrors(
      [
        { field: "credentials", message: "missing field `token`" },
        { field: "", message: "missing field `name`" },
      ],
      known,
    );
    expect(r.fields).toEqual({ "credentials.token": "is required", name: "is required" });
    expect(r.other).toEqual([]);
  });

  it("falls back to the nearest known ancestor", () => {
    const r = mapFieldErrors([{ field: "settings.extra.deep", message: "unknown field" }, { field: "credentials", message: "bad" }], known);
    expect(r.fields).toEqual({ settings: "extra.deep: unknown field", credentials: "bad" });
  });

  it("maps array items to their list field", () => {
    const r = mapFieldErrors([{ field: "settings.mandatory_fields[1]", message: "unknown field `x`" }], ["settings.mandatory_fields"]);
    expect(r.fields).toEqual({ "settings.mandatory_fields": "unknown field `x`" });
  });

  it("keeps errors without a field for the banner", () => {
    const r = mapFieldErrors([{ field: "", message: "body is empty" }], known);
    expect(r.other).toEqual([{ field: "", message: "body is empty" }]);
  });
});
