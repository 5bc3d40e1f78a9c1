import { Fragment } from "react";

/** Text from the API with `code` spans in backticks (names in error details, paths in help texts). */
export function Ticks({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  const parts = text.split("`");
  if (parts.length < 3 || parts.length % 2 === 0) return <>{text}</>;
  return <>{parts.map((p, i) => (i % 2 === 1 ? <code key={i}>{p}</code> : <Fragment key={i}>{p}</Fragment>))}</>;
}
