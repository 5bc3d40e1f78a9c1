import { useId, type ComponentProps, type ReactNode } from "react";
import { Link } from "react-router";
import type { FormField, FormValues } from "../lib/schemaForm";
import { Ticks } from "./Ticks";
import "./fields.css";

/** A DOM id for a field path (`settings.base_url` → `f-settings-base_url`). */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

interface ShellProps {
  id: string;
  label: ReactNode;
  required?: boolean;
  help?: ReactNode;
  error?: string;
  children: (aria: { id: string; "aria-invalid": boolean; "aria-describedby"?: string; "aria-required"?: boolean }) => ReactNode;
  className?: string;
}

/** Label, required marker, the input, help text and the field's error, tied together for screen readers. */
export function FieldShell({ id, label, required, help, error, children, className }: ShellProps) {
  const helpId = help ? `${id}-help` : undefined;
  const errId = error ? `${id}-error` : undefined;
  const describedBy = [errId, helpId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field ${error ? "field-invalid" : ""} ${className ?? ""}`}>
      <label htmlFor={id} className="field-label">
        {label}
        {required ? (
          <span className="required" aria-hidden="true" title="required">
            {" "}
            *
          </span>
        ) : (
          <span className="optional"> (optional)</span>
        )}
      </label>
      {children({ id, "aria-invalid": Boolean(error), "aria-describedby": describedBy, ...(required ? { "aria-required": true } : {}) })}
      <FieldNotes id={id} error={error} help={help} />
    </div>
  );
}

/** A field's error and help text, with the ids its input's `aria-describedby` names (`<id>-error`, `<id>-help`). */
function FieldNotes({ id, error, help }: { id: string; error?: ReactNode; help?: ReactNode }) {
  return (
    <>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {typeof error === "string" ? <Ticks text={error} /> : error}
        </p>
      )}
      {help && (
        <p className="field-help" id={`${id}-help`}>
          {typeof help === "string" ? <Ticks text={help} /> : help}
        </p>
      )}
    </>
  );
}

interface TextFieldProps {
  path: string;
  label: ReactNode;
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
  help?: ReactNode;
  error?: string;
  type?: "text" | "email" | "password" | "url" | "number" | "date";
  autoComplete?: string;
  placeholder?: string;
  disabled?: boolean;
  inputMode?: "text" | "numeric" | "decimal" | "email" | "url";
  autoFocus?: boolean;
  /** The id of a <datalist> of suggestions. */
  list?: string;
  className?: string;
}

export function TextField(p: TextFieldProps) {
  return (
    <FieldShell id={fieldId(p.path)} label={p.label} required={p.required} help={p.help} error={p.error} className={p.className}>
      {(aria) => (
        <input
          {...aria}
          name={p.path}
          className="input"
          list={p.list}
          type={p.type ?? "text"}
          value={p.value}
          onChange={(e) => p.onChange(e.target.value)}
          autoComplete={p.autoComplete}
          placeholder={p.placeholder}
          disabled={p.disabled}
          inputMode={p.inputMode}
          autoFocus={p.autoFocus}
          spellCheck={p.type === "password" ? false : undefined}
        />
      )}
    </FieldShell>
  );
}

interface SelectFieldProps<T extends string> {
  path: string;
  label: ReactNode;
  value: T | "";
  onChange: (v: T) => void;
  options: { value: T; label: string; disabled?: boolean }[];
  required?: boolean;
  help?: ReactNode;
  error?: string;
  placeholder?: string;
  disabled?: boolean;
}

export function SelectField<T extends string>(p: SelectFieldProps<T>) {
  return (
    <FieldShell id={fieldId(p.path)} label={p.label} required={p.required} help={p.help} error={p.error}>
      {(aria) => (
        <select {...aria} name={p.path} className="input" value={p.value} onChange={(e) => p.onChange(e.target.value as T)} disabled={p.disabled}>
          {p.placeholder !== undefined && (
            <option value="" disabled={p.required}>
              {p.placeholder}
            </option>
          )}
          {p.options.map((o) => (
            <option key={o.value} value={o.value} disabled={o.disabled}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

/** One checkbox with its label, help text and error. */
export function CheckboxField(p: { path: string; label: ReactNode; checked: boolean; onChange: (checked: boolean) => void; help?: ReactNode; error?: string; disabled?: boolean }) {
  const id = fieldId(p.path);
  const helpId = p.help ? `${id}-help` : undefined;
  const errId = p.error ? `${id}-error` : undefined;
  return (
    <div className={`field ${p.error ? "field-invalid" : ""}`}>
      <label className="checkbox">
        <input
          id={id}
          type="checkbox"
          name={p.path}
          checked={p.checked}
          onChange={(e) => p.onChange(e.target.checked)}
          disabled={p.disabled}
          aria-invalid={Boolean(p.error)}
          aria-describedby={[errId, helpId].filter(Boolean).join(" ") || undefined}
        />
        <span>{p.label}</span>
      </label>
      <FieldNotes id={id} error={p.error} help={p.help} />
    </div>
  );
}

/** A group of checkboxes for a multi-select, in a fieldset with a legend. */
export function CheckboxGroup<T extends string>(p: {
  path: string;
  legend: ReactNode;
  options: { value: T; label: string }[];
  value: readonly T[];
  onChange: (v: T[]) => void;
  help?: ReactNode;
  error?: string;
  disabled?: boolean;
}) {
  const id = fieldId(p.path);
  const helpId = p.help ? `${id}-help` : undefined;
  const errId = p.error ? `${id}-error` : undefined;
  return (
    <fieldset className={`field checkbox-group ${p.error ? "field-invalid" : ""}`} id={id} aria-describedby={[errId, helpId].filter(Boolean).join(" ") || undefined} aria-invalid={Boolean(p.error)}>
      <legend className="field-label">{p.legend}</legend>
      <div className="checkbox-grid">
        {p.options.map((o) => {
          const checked = p.value.includes(o.value);
          return (
            <label key={o.value} className="checkbox">
              <input
                type="checkbox"
                name={p.path}
                value={o.value}
                checked={checked}
                disabled={p.disabled}
                onChange={(e) => {
                  const next = e.target.checked ? [...p.value, o.value] : p.value.filter((v) => v !== o.value);
                  // keep the options' order
                  p.onChange(p.options.map((x) => x.value).filter((v) => next.includes(v)));
                }}
              />
              <span>{o.label}</span>
            </label>
          );
        })}
      </div>
      <FieldNotes id={id} error={p.error} help={p.help} />
    </fieldset>
  );
}

/** Radio buttons with a description each. */
export function RadioGroup<T extends string>(p: {
  path: string;
  legend: ReactNode;
  options: { value: T; label: string; description?: string }[];
  value: T;
  onChange: (v: T) => void;
  error?: string;
  disabled?: boolean;
}) {
  const id = fieldId(p.path);
  const name = useId();
  const errId = p.error ? `${id}-error` : undefined;
  return (
    <fieldset className={`field radio-group ${p.error ? "field-invalid" : ""}`} id={id} aria-describedby={errId}>
      <legend className="field-label">{p.legend}</legend>
      {p.options.map((o) => (
        <label key={o.value} className="radio">
          <input type="radio" name={name} value={o.value} checked={p.value === o.value} onChange={() => p.onChange(o.value)} disabled={p.disabled} />
          <span>
            {o.label}
            {o.description && <span className="radio-desc">{o.description}</span>}
          </span>
        </label>
      ))}
      <FieldNotes id={id} error={p.error} />
    </fieldset>
  );
}

/** The inputs for a connector's JSON-Schema-described object (settings or credentials). */
export function SchemaFields({
  fields,
  values,
  onChange,
  errors,
  disabled,
  secretPlaceholder,
}: {
  fields: readonly FormField[];
  values: FormValues;
  onChange: (name: string, value: string | boolean) => void;
  errors: Record<string, string>;
  disabled?: boolean;
  secretPlaceholder?: string;
}) {
  if (fields.length === 0) return <p className="muted">This connector needs nothing here.</p>;
  return (
    <>
      {fields.map((f) => {
        const id = fieldId(f.path);
        const error = errors[f.path];
        const help = f.description ?? undefined;
        const value = values[f.name];
        if (f.kind === "boolean") {
          return <CheckboxField key={f.path} path={f.path} label={f.label} checked={value === true} onChange={(c) => onChange(f.name, c)} help={help} error={error} disabled={disabled} />;
        }
        return (
          <FieldShell key={f.path} id={id} label={f.label} required={f.required} help={help} error={error}>
            {(aria) => {
              const str = typeof value === "string" ? value : "";
              if (f.kind === "enum") {
                return (
                  <select {...aria} name={f.path} className="input" value={str} onChange={(e) => onChange(f.name, e.target.value)} disabled={disabled}>
                    <option value="" disabled={f.required && !f.nullable}>
                      {f.required ? "Choose…" : "— none —"}
                    </option>
                    {f.options?.map((o) => (
                      <option key={o.key} value={o.key}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                );
              }
              if (f.kind === "json") {
                return <textarea {...aria} name={f.path} className="input mono" rows={4} value={str} onChange={(e) => onChange(f.name, e.target.value)} disabled={disabled} spellCheck={false} />;
              }
              const numeric = f.kind === "integer" || f.kind === "number";
              return (
                <input
                  {...aria}
                  name={f.path}
                  className="input"
                  type={f.secret ? "password" : f.format === "email" ? "email" : "text"}
                  inputMode={numeric ? (f.kind === "integer" ? "numeric" : "decimal") : undefined}
                  value={str}
                  onChange={(e) => onChange(f.name, e.target.value)}
                  disabled={disabled}
                  autoComplete={f.secret ? "new-password" : "off"}
                  spellCheck={false}
                  placeholder={f.secret ? (f.required ? secretPlaceholder : undefined) : f.default !== undefined && f.default !== null ? String(f.default) : undefined}
                />
              );
            }}
          </FieldShell>
        );
      })}
    </>
  );
}

/**
 * A connector's settings or credentials (`name`) in a fieldset: the error about the object as a whole first (tied to
 * the fieldset for screen readers), then its fields.
 */
export function SchemaFieldset({ name, legend, ...fields }: { name: string; legend: string } & ComponentProps<typeof SchemaFields>) {
  const id = fieldId(name);
  const error = fields.errors[name];
  return (
    <fieldset className="plain-fieldset" id={id} aria-describedby={error ? `${id}-error` : undefined}>
      <legend className="sr-only">{legend}</legend>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      <SchemaFields {...fields} />
    </fieldset>
  );
}

/**
 * A form's submit button (saying it is busy while the request is out) and its Cancel: a button (`onCancel`) or a
 * link (`cancelTo`). `children` follow the buttons (e.g. a note on what saving does).
 */
export function FormActions({
  busy,
  label,
  busyLabel = "Saving…",
  disabled,
  onCancel,
  cancelTo,
  children,
}: {
  busy: boolean;
  label: string;
  busyLabel?: string;
  disabled?: boolean;
  onCancel?: () => void;
  cancelTo?: string;
  children?: ReactNode;
}) {
  return (
    <div className="form-actions">
      <button type="submit" className="btn btn-primary" disabled={busy || disabled}>
        {busy ? busyLabel : label}
      </button>
      {onCancel && (
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
      )}
      {cancelTo && (
        <Link to={cancelTo} className="btn btn-ghost">
          Cancel
        </Link>
      )}
      {children}
    </div>
  );
}

/** Move focus to the first invalid input inside `form` (after client-side or server validation). */
export function focusFirstInvalid(form: HTMLElement | null): void {
  if (!form) return;
  requestAnimationFrame(() => {
    const el = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (!el) return;
    const target = el.tagName === "FIELDSET" ? el.querySelector<HTMLElement>("input, select, textarea") ?? el : el;
    target.focus();
  });
}
