// Turns a connector's settings_schema / credentials_schema (JSON Schema, as served by GET /connectors) into form
// fields, validates what was typed against it, and builds the request body back from the form values.

export type FieldKind = "string" | "integer" | "number" | "boolean" | "enum" | "json";

export interface EnumOption {
  /** The value as the API wants it. */
  value: unknown;
  /** What the <select> carries: the JSON of the value. */
  key: string;
  label: string;
}

export interface FormField {
  /** Property name in the object. */
  name: string;
  /** Dotted path in the request, as the API names it in `errors[].field` (e.g. `settings.base_url`). */
  path: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  /** Whether `null` is an accepted value. */
  nullable: boolean;
  description?: string;
  default?: unknown;
  options?: EnumOption[];
  /** Write-only values (credentials): password inputs, never pre-filled. */
  secret: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}

export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

type Schema = Record<string, unknown>;

const ACRONYMS = new Set(["url", "id", "api", "uri", "scim", "sso", "http", "https", "ip", "oauth", "hr", "smtp", "jwt"]);

/** `base_url` → `Base URL`, `companyDomain` → `Company domain`. */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  return words.map((w, i) => (ACRONYMS.has(w) ? w.toUpperCase() : i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w)).join(" ");
}

function isObject(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Resolve a local `$ref` (`#/$defs/X`, `#/definitions/X`) against the root schema. */
function deref(s: Schema, root: Schema, depth = 0): Schema {
  if (depth > 10 || typeof s.$ref !== "string" || !s.$ref.startsWith("#/")) return s;
  let target: unknown = root;
  for (const part of s.$ref.slice(2).split("/")) {
    target = isObject(target) ? target[decodeURIComponent(part.replace(/~1/g, "/").replace(/~0/g, "~"))] : undefined;
  }
  if (!isObject(target)) return s;
  const { $ref: _ignored, ...rest } = s;
  return { ...deref(target, root, depth + 1), ...rest };
}

interface Shape {
  types: string[];
  enumValues?: unknown[];
  schema: Schema;
}

/** Flatten `type: [..]`, `anyOf/oneOf` with a null branch, `enum` and `const` into one description. */
function shapeOf(raw: Schema, root: Schema): Shape {
  const s = deref(raw, root);
  const types = new Set<string>();
  let enumValues: unknown[] | undefined;
  let merged: Schema = { ...s };
  const take = (b: Schema) => {
    if (typeof b.type === "string") types.add(b.type);
    if (Array.isArray(b.type)) for (const t of b.type) if (typeof t === "string") types.add(t);
    if (Array.isArray(b.enum)) enumValues = [...(enumValues ?? []), ...b.enum];
    if ("const" in b) enumValues = [...(enumValues ?? []), b.const];
  };
  take(s);
  const branches = [s.anyOf, s.oneOf].find(Array.isArray) as unknown[] | undefined;
  if (branches) {
    for (const b of branches) {
      if (!isObject(b)) continue;
      const d = deref(b, root);
      take(d);
      if (d.type !== "null") merged = { ...d, ...merged };
    }
  }
  if (Array.isArray(s.allOf)) {
    for (const b of s.allOf) if (isObject(b)) {
      const d = deref(b, root);
      take(d);
      merged = { ...d, ...merged };
    }
  }
  if (enumValues) {
    if (enumValues.includes(null)) types.add("null");
    enumValues = enumValues.filter((v) => v !== null);
    for (const v of enumValues) types.add(v === null ? "null" : typeof v === "boolean" ? "boolean" : typeof v === "number" ? "number" : "string");
  }
  return { types: [...types], enumValues, schema: merged };
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export interface ToFieldsOptions {
  /** Path prefix (`settings`, `credentials`). */
  prefix?: string;
  /** Mark every field secret (credentials). */
  secret?: boolean;
}

/**
 * The form fields of an object schema: required ones first, then optional ones, each group in the schema's
 * order. Properties marked `readOnly` (set by the hub, not by people) are left out.
 */
export function schemaToFields(schema: unknown, opts: ToFieldsOptions = {}): FormField[] {
  if (!isObject(schema)) return [];
  const root = schema;
  const obj = deref(schema, root);
  const props = isObject(obj.properties) ? obj.properties : {};
  const required = new Set(Array.isArray(obj.required) ? obj.required.filter((r): r is string => typeof r === "string") : []);
  const fields: FormField[] = [];
  for (const [name, raw] of Object.entries(props)) {
    if (!isObject(raw)) continue;
    const { types, enumValues, schema: s } = shapeOf(raw, root);
    if (s.readOnly === true || raw.readOnly === true) continue;
    const nullable = types.includes("null");
    const nonNull = types.filter((t) => t !== "null");
    let kind: FieldKind;
    if (enumValues && enumValues.length > 0) kind = "enum";
    else if (nonNull.length === 1 && nonNull[0] === "boolean") kind = "boolean";
    else if (nonNull.length === 1 && nonNull[0] === "integer") kind = "integer";
    else if (nonNull.length === 1 && nonNull[0] === "number") kind = "number";
    else if (nonNull.length === 1 && nonNull[0] === "string") kind = "string";
    else if (nonNull.length === 0) kind = "string";
    else kind = "json";
    const description = typeof s.description === "string" ? s.description.replace(/\s*\n\s*/g, " ").trim() : undefined;
    const field: FormField = {
      name,
      path: opts.prefix ? `${opts.prefix}.${name}` : name,
      label: typeof s.title === "string" && s.title ? s.title : humanize(name),
      kind,
      required: required.has(name),
      nullable,
      description,
      secret: opts.secret === true || s.writeOnly === true || s.format === "password",
      minimum: num(s.minimum),
      maximum: num(s.maximum),
      minLength: num(s.minLength),
      maxLength: num(s.maxLength),
      pattern: typeof s.pattern === "string" ? s.pattern : undefined,
      format: typeof s.format === "string" ? s.format : undefined,
    };
    if ("default" in s) field.default = s.default;
    if (kind === "enum" && enumValues) {
      field.options = enumValues.map((v) => ({ value: v, key: JSON.stringify(v), label: typeof v === "string" ? humanize(v) : String(v) }));
    }
    fields.push(field);
  }
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

function toFormValue(f: FormField, v: unknown): FormValue {
  if (f.kind === "boolean") return v === true;
  if (v === null || v === undefined) return "";
  if (f.kind === "enum") return JSON.stringify(v);
  if (f.kind === "json") return JSON.stringify(v, null, 2);
  return String(v);
}

/**
 * Initial form values, keyed by field name: the current value when editing, else the schema default. Secret
 * fields start empty whatever is passed: their stored values are never returned by the API.
 */
export function initialValues(fields: readonly FormField[], current?: Record<string, unknown> | null): FormValues {
  const out: FormValues = {};
  for (const f of fields) {
    if (f.secret) {
      out[f.name] = f.kind === "boolean" ? false : "";
    } else if (current && f.name in current) {
      out[f.name] = toFormValue(f, current[f.name]);
    } else {
      out[f.name] = toFormValue(f, f.default);
    }
  }
  return out;
}

function isBlank(v: FormValue | undefined): boolean {
  return v === undefined || (typeof v === "string" && v.trim() === "");
}

/** Client-side checks against the schema. Returns messages keyed by field path; empty when all is well. */
export function validateValues(fields: readonly FormField[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === "boolean") continue;
    if (isBlank(v)) {
      if (f.required && !f.nullable) errors[f.path] = "is required";
      continue;
    }
    const text = String(v).trim();
    if (f.kind === "integer" || f.kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n) || (f.kind === "integer" && !Number.isInteger(n))) {
        errors[f.path] = f.kind === "integer" ? "must be a whole number" : "must be a number";
        continue;
      }
      if (f.minimum !== undefined && n < f.minimum) errors[f.path] = `must be at least ${f.minimum}`;
      else if (f.maximum !== undefined && n > f.maximum) errors[f.path] = `must be at most ${f.maximum}`;
      continue;
    }
    if (f.kind === "json") {
      try {
        JSON.parse(text);
      } catch {
        errors[f.path] = "must be valid JSON";
      }
      continue;
    }
    if (f.kind === "enum") {
      if (!f.options?.some((o) => o.key === v)) errors[f.path] = "pick one of the choices";
      continue;
    }
    if (f.minLength !== undefined && text.length < f.minLength) errors[f.path] = `must be at least ${f.minLength} characters`;
    else if (f.maxLength !== undefined && text.length > f.maxLength) errors[f.path] = `must be at most ${f.maxLength} characters`;
    else if (f.pattern !== undefined) {
      try {
        if (!new RegExp(f.pattern, "u").test(text)) errors[f.path] = "is not in the expected format";
      } catch {
        /* a pattern JavaScript cannot compile: leave it to the server */
      }
    } else if ((f.format === "uri" || f.format === "url") && !/^https?:\/\/[^\s]+$/i.test(text)) {
      errors[f.path] = "must be an absolute http(s) URL";
    } else if (f.format === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) {
      errors[f.path] = "is not a valid email address";
    }
  }
  return errors;
}

/**
 * The object to send. Blank optional fields are left out so the server applies its defaults (or sent as null
 * when `blankAsNull` and the field accepts null); booleans are always sent.
 */
export function valuesToPayload(fields: readonly FormField[], values: FormValues, opts: { blankAsNull?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === "boolean") {
      out[f.name] = v === true;
      continue;
    }
    if (isBlank(v)) {
      if (f.nullable && (opts.blankAsNull || f.required)) out[f.name] = null;
      else if (f.required) out[f.name] = "";
      continue;
    }
    const text = String(v);
    switch (f.kind) {
      case "integer":
      case "number":
        out[f.name] = Number(text.trim());
        break;
      case "enum": {
        const o = f.options?.find((x) => x.key === text);
        out[f.name] = o ? o.value : text;
        break;
      }
      case "json":
        try {
          out[f.name] = JSON.parse(text);
        } catch {
          out[f.name] = text;
        }
        break;
      default:
        // Secrets are sent exactly as typed; other text is trimmed.
        out[f.name] = f.secret ? text : text.trim();
    }
  }
  return out;
}
