import { describe, expect, it } from "vitest";
import connectors from "../test/fixtures/connectors.json";
import { humanize, initialValues, schemaToFields, validateValues, valuesToPayload, type FormField } from "./schemaForm";

const byKind = (kind: string) => connectors.items.find((c) => c.kind === kind)!;

describe("humanize", () => {
  it("makes labels from property names", () => {
    expect(humanize("base_url")).toBe("Base URL");
    expect(humanize("company_domain")).toBe("Company domain");
    expect(humanize("api_key")).toBe("API key");
    expect(humanize("clientId")).toBe("Client ID");
    expect(humanize("on_termination_date")).toBe("On termination date");
  });
});

describe("schemaToFields with the real connector schemas", () => {
  it("SCIM settings: required base_url first, nullable optional ones after", () => {
    const fields = schemaToFields(byKind("scim").settings_schema, { prefix: "settings" });
    expect(fields.map((f) => [f.path, f.kind, f.required, f.nullable])).toEqual([
      ["settings.base_url", "string", true, false],
      ["settings.location_attribute", "string", false, true],
      ["settings.manager_email_attribute", "string", false, true],
    ]);
    expect(fields[0]!.label).toBe("Base URL");
    expect(fields[0]!.description).toMatch(/SCIM service's base URL/);
    expect(fields[0]!.secret).toBe(false);
  });

  it("credentials are secret", () => {
    const fields = schemaToFields(byKind("scim").credentials_schema, { prefix: "credentials", secret: true });
    expect(fields).toHaveLength(1);
    expect(fields[0]).toMatchObject({ path: "credentials.token", required: true, secret: true, kind: "string" });
  });

  it("Employment Hero credentials: only the OAuth client, not the tokens the hub sets (readOnly)", () => {
    const fields = schemaToFields(byKind("employment_hero").credentials_schema, { prefix: "credentials", secret: true });
    expect(fields.map((f) => [f.path, f.required])).toEqual([
      ["credentials.client_id", true],
      ["credentials.client_secret", true],
    ]);
  });

  it("BambooHR: defaults are kept and multi-line descriptions flattened", () => {
    const fields = schemaToFields(byKind("bamboohr").settings_schema, { prefix: "settings" });
    expect(fields.map((f) => f.name)).toEqual(["company_domain", "api_base_url"]);
    expect(fields[1]!.default).toBe("https://api.bamboohr.com/api/gateway.php");
    const eh = schemaToFields(byKind("employment_hero").settings_schema);
    const org = eh.find((f) => f.name === "organisation_id")!;
    expect(org.description).not.toContain("\n");
  });
});

describe("schemaToFields with other JSON Schema shapes", () => {
  const schema = {
    type: "object",
    required: ["mode", "port", "verify", "region"],
    properties: {
      mode: { enum: ["fast", "safe"], default: "safe", description: "How to sync" },
      port: { type: "integer", minimum: 1, maximum: 65535, default: 443 },
      verify: { type: "boolean", default: true },
      region: { $ref: "#/$defs/Region" },
      ratio: { type: "number" },
      level: { anyOf: [{ $ref: "#/$defs/Level" }, { type: "null" }] },
      code: { type: "string", pattern: "^[A-Z]{3}$", title: "Company code" },
      extra: { type: "object" },
      hub_token: { type: ["string", "null"], readOnly: true },
      secret: { type: "string", writeOnly: true },
    },
    $defs: {
      Region: { type: "string", enum: ["au", "nz"] },
      Level: { type: "integer", enum: [1, 2, 3] },
    },
  };
  const fields = schemaToFields(schema, { prefix: "settings" });
  const f = (n: string) => fields.find((x) => x.name === n)!;

  it("understands enum, integer, boolean, $ref, anyOf-with-null, titles and read-only", () => {
    expect(fields.map((x) => x.name)).toEqual(["mode", "port", "verify", "region", "ratio", "level", "code", "extra", "secret"]);
    expect(f("mode").kind).toBe("enum");
    expect(f("mode").options!.map((o) => o.label)).toEqual(["Fast", "Safe"]);
    expect(f("port")).toMatchObject({ kind: "integer", minimum: 1, maximum: 65535, default: 443 });
    expect(f("verify").kind).toBe("boolean");
    expect(f("region").options!.map((o) => o.value)).toEqual(["au", "nz"]);
    expect(f("level")).toMatchObject({ kind: "enum", nullable: true, required: false });
    expect(f("ratio").kind).toBe("number");
    expect(f("code").label).toBe("Company code");
    expect(f("extra").kind).toBe("json");
    expect(f("secret").secret).toBe(true);
  });

  it("starts from defaults, or from current values when editing", () => {
    expect(initialValues(fields)).toMatchObject({ mode: '"safe"', port: "443", verify: true, region: "", level: "" });
    expect(initialValues(fields, { port: 8443, verify: false, level: 2, extra: { a: 1 } })).toMatchObject({
      port: "8443",
      verify: false,
      level: "2",
      extra: '{\n  "a": 1\n}',
    });
  });

  it("never pre-fills secrets", () => {
    const creds = schemaToFields(byKind("scim").credentials_schema, { prefix: "credentials", secret: true });
    expect(initialValues(creds, { token: "leaked" })).toEqual({ token: "" });
  });

  it("validates against the schema and names fields by path", () => {
    const errors = validateValues(fields, { mode: "", port: "70000", verify: false, region: '"au"', ratio: "abc", code: "abcd", extra: "{", level: "" });
    expect(errors).toEqual({
      "settings.mode": "is required",
      "settings.port": "must be at most 65535",
      "settings.ratio": "must be a number",
      "settings.code": "is not in the expected format",
      "settings.extra": "must be valid JSON",
    });
    expect(validateValues(fields, { mode: '"fast"', port: "1.5", verify: true, region: '"nz"' })).toEqual({ "settings.port": "must be a whole number" });
  });

  it("builds the request body with the right types", () => {
    const payload = valuesToPayload(fields, {
      mode: '"fast"',
      port: " 8443 ",
      verify: false,
      region: '"nz"',
      ratio: "",
      level: '3',
      code: " ABC ",
      extra: '{"a":[1]}',
      secret: " s3cret ",
    });
    expect(payload).toEqual({ mode: "fast", port: 8443, verify: false, region: "nz", level: 3, code: "ABC", extra: { a: [1] }, secret: " s3cret " });
  });

  it("leaves blank optional fields out, or sends null when asked", () => {
    const scim = schemaToFields(byKind("scim").settings_schema, { prefix: "settings" });
    const values = { base_url: "https://lms.example.com/scim/v2", location_attribute: "", manager_email_attribute: "" };
    expect(valuesToPayload(scim, values)).toEqual({ base_url: "https://lms.example.com/scim/v2" });
    expect(valuesToPayload(scim, values, { blankAsNull: true })).toEqual({
      base_url: "https://lms.example.com/scim/v2",
      location_attribute: null,
      manager_email_attribute: null,
    });
  });

  it("returns nothing for a schema that is not an object", () => {
    expect(schemaToFields(null)).toEqual([]);
    expect(schemaToFields({ type: "object" })).toEqual([] as FormField[]);
  });
});
