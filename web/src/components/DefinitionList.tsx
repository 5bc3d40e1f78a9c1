import type { ReactNode } from "react";
import "./DefinitionList.css";

/** Label and value pairs, one a row. */
export function DefinitionList({ items }: { items: [ReactNode, ReactNode][] }) {
  return (
    <dl className="deflist">
      {items.map(([k, v], i) => (
        <div key={i} className="deflist-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
