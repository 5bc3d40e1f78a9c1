import type { ReactNode } from "react";
import type { PagedState } from "../lib/hooks";
import { Card } from "./Card";
import { ErrorAlert } from "./alerts";
import { Loading } from "./Loading";
import "./tables.css";

export type Column = string | { label: string; className?: string; hidden?: boolean } | false | null | undefined;

/** A table with a caption for screen readers and a header row; `children` are the body's rows. */
export function DataTable({ caption, testId, columns, children }: { caption: string; testId?: string; columns: readonly Column[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => {
              if (!c) return null;
              const col = typeof c === "string" ? { label: c } : c;
              return (
                <th key={i} scope="col" className={col.className}>
                  {col.hidden ? <span className="sr-only">{col.label}</span> : col.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A cursor-paged list in a card: its error in words, a spinner, `empty` when there is nothing, and Load more. */
export function PagedCard<T extends { id: string }>({ list, loadingLabel, empty, children }: { list: PagedState<T>; loadingLabel?: string; empty: ReactNode; children: ReactNode }) {
  return (
    <>
      <ErrorAlert error={list.error} />
      <Card>
        {list.loading ? <Loading label={loadingLabel} /> : list.items.length === 0 ? (list.error ? null : empty) : children}
        {!list.loading && list.items.length > 0 && <LoadMore count={list.items.length} nextCursor={list.nextCursor} loading={list.loadingMore} onMore={list.loadMore} />}
      </Card>
    </>
  );
}

/** How many items a paged list shows, and Load more while the API has another page. */
export function LoadMore({ nextCursor, loading, onMore, count }: { nextCursor: string | null; loading: boolean; onMore: () => void; count: number }) {
  return (
    <div className="load-more">
      <span className="muted">
        {count} shown{nextCursor ? "" : count > 0 ? " · all loaded" : ""}
      </span>
      {nextCursor && (
        <button type="button" className="btn btn-secondary" onClick={onMore} disabled={loading}>
          {loading ? "Loading…" : "Load more"}
        </button>
      )}
    </div>
  );
}
