import type { RunRecord, Schemas } from "../../api/client";
import { DECISION, OUTCOME, USER_FIELD, labelOf } from "../../lib/labels";
import { Badge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { Ticks } from "../../components/Ticks";
import { DataTable } from "../../components/tables";
import "./reports.css";

type FieldChange = Schemas["FieldChange"];

/** A run's record lines, one per person: decision, outcome, the fields changed and why. */
export function RecordsTable({ records, timeZone }: { records: readonly RunRecord[]; timeZone: string }) {
  return (
    <DataTable caption="Record lines: one per person" testId="records-table" columns={["Person", "Decision", "Outcome", "Fields changed", "Why", "When"]}>
      {records.map((r) => (
        <tr key={r.id} data-testid="record-row" data-decision={r.decision} data-outcome={r.outcome}>
          <td>
            <div>{r.name || <span className="muted">(no name)</span>}</div>
            <div className="muted small mono" title="Source id → target id">
              {r.source_id}
              {r.target_id ? ` → ${r.target_id}` : ""}
            </div>
          </td>
          <td>{DECISION[r.decision]}</td>
          <td>
            <Badge tone={r.outcome === "failed" ? "danger" : r.outcome === "dry_run" ? "warning" : r.outcome === "unchanged" ? "neutral" : "success"}>{OUTCOME[r.outcome]}</Badge>
          </td>
          <td>
            <ChangeList changes={r.changes} />
          </td>
          <td className="cell-error">
            {r.error && (
              <span className="text-danger">
                <Ticks text={r.error} />
              </span>
            )}
            {r.error && r.reason && <br />}
            {r.reason && <Ticks text={r.reason} />}
          </td>
          <td className="nowrap small">
            <DateTime value={r.created_at} timeZone={timeZone} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

const CHANGES_SHOWN = 4;

/** Fields changed, old → new; past a few, the rest behind a disclosure (a new person changes every field). */
function ChangeList({ changes }: { changes: readonly FieldChange[] }) {
  if (changes.length === 0) return <span className="muted">—</span>;
  const line = (c: FieldChange) => (
    <li key={c.field}>
      <span className="change-field">{labelOf(USER_FIELD, c.field)}</span>{" "}
      {c.old === null || c.old === undefined ? (
        <span className="change-empty">
          <span className="sr-only">from </span>empty
        </span>
      ) : (
        <span className="change-old">
          <span className="sr-only">from </span>
          {c.old}
        </span>
      )}{" "}
      <span aria-hidden="true">→</span> <span className="sr-only">to </span>
      <span className="change-new">{c.new ?? <span className="change-empty">empty</span>}</span>
    </li>
  );
  const shown = changes.length <= CHANGES_SHOWN + 1 ? changes : changes.slice(0, CHANGES_SHOWN);
  const rest = changes.slice(shown.length);
  return (
    <>
      <ul className="changes">{shown.map(line)}</ul>
      {rest.length > 0 && (
        <details className="changes-more">
          <summary>{rest.length} more fields</summary>
          <ul className="changes">{rest.map(line)}</ul>
        </details>
      )}
    </>
  );
}
