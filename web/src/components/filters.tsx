import type { ReactNode } from "react";
import type { Integration } from "../api/client";
import "./filters.css";

/** A row of list filters above a table. */
export function Filters({ children, label }: { children: ReactNode; label: string }) {
  return (
    <div className="filters" role="group" aria-label={label}>
      {children}
    </div>
  );
}

export interface FilterOption {
  value: string;
  label: string;
}

/** A labelled select of a filter; the empty value means "any". */
export function FilterSelect({
  id,
  label,
  value,
  onChange,
  options,
  anyLabel = "Any",
  groups,
  testId,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options?: FilterOption[];
  groups?: { label: string; options: FilterOption[] }[];
  anyLabel?: string | null;
  testId?: string;
}) {
  return (
    <div className="filter">
      <label htmlFor={id} className="filter-label">
        {label}
      </label>
      <select id={id} className="input input-sm" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {anyLabel !== null && <option value="">{anyLabel}</option>}
        {options?.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
        {groups?.map((g) => (
          <optgroup key={g.label} label={g.label}>
            {g.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

/** A labelled date input of a filter (a day in the organisation's time zone). */
export function FilterDate({ id, label, value, onChange, error }: { id: string; label: string; value: string; onChange: (v: string) => void; error?: string }) {
  return (
    <div className={`filter ${error ? "field-invalid" : ""}`}>
      <label htmlFor={id} className="filter-label">
        {label}
      </label>
      <input
        id={id}
        type="date"
        className="input input-sm"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The integration filter of a list: "All integrations", or one of them. */
export function IntegrationFilter({
  integrations,
  value,
  onChange,
  anyLabel = "All integrations",
  testId,
}: {
  integrations: readonly Pick<Integration, "id" | "name">[] | undefined;
  value: string | undefined;
  onChange: (v: string) => void;
  anyLabel?: string | null;
  testId?: string;
}) {
  return (
    <FilterSelect
      id="filter-integration"
      label="Integration"
      value={value ?? ""}
      onChange={onChange}
      anyLabel={anyLabel}
      options={(integrations ?? []).map((i) => ({ value: i.id, label: i.name }))}
      testId={testId}
    />
  );
}

/** A yes/no filter: any, or one of two labelled answers (listed in the order given). */
export function FilterBool({
  id,
  label,
  value,
  onChange,
  anyLabel,
  options,
}: {
  id: string;
  label: string;
  value: boolean | undefined;
  onChange: (v: string) => void;
  anyLabel: string;
  options: readonly [boolean, string][];
}) {
  return (
    <FilterSelect
      id={id}
      label={label}
      value={value === undefined ? "" : String(value)}
      onChange={onChange}
      anyLabel={anyLabel}
      options={options.map(([v, l]) => ({ value: String(v), label: l }))}
    />
  );
}
