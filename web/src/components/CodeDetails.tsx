import "./CodeDetails.css";

/** A disclosure with a block of code or data in it (a log entry's details, a webhook event's payload). */
export function CodeDetails({ summary, text }: { summary: string; text: string }) {
  return (
    <details className="code-details">
      <summary>{summary}</summary>
      <pre className="code-block">{text}</pre>
    </details>
  );
}
