import { useAuth } from "../auth/AuthContext";
import { formatDateTime, formatRelative } from "../lib/datetime";

/** A time in the organisation's timezone; the hover text says how long ago and the exact ISO time. */
export function DateTime({ value, empty, timeZone: zone }: { value: string | null | undefined; empty?: string; timeZone?: string }) {
  const auth = useAuth();
  const timeZone = zone ?? auth.timeZone;
  if (!value) return <span className="muted">{empty ?? "—"}</span>;
  const rel = formatRelative(value);
  return (
    <time dateTime={value} title={`${rel ? rel + " · " : ""}${value}`}>
      {formatDateTime(value, timeZone)}
    </time>
  );
}
