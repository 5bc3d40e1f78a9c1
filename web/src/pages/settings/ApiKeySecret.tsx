import { useEffect, useRef } from "react";
import type { CreatedApiKey } from "../../api/client";
import { ROLE } from "../../lib/labels";
import { CopyButton } from "../../components/CopyButton";
import "../../components/Card.css";
import "./settings.css";

/** The new key's secret, shown this once. */
export function ApiKeySecret({ apiKey, onDone }: { apiKey: CreatedApiKey; onDone: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  return (
    <section className="card secret-card" aria-labelledby="secret-title">
      <h2 id="secret-title">Copy your new key now</h2>
      <p>
        This is the only time the key “{apiKey.name}” is shown. Store it somewhere safe, such as your script's secret store. If it is lost, revoke it and create
        another.
      </p>
      <div className="secret-row">
        <label htmlFor="new-secret" className="sr-only">
          API key secret
        </label>
        <input id="new-secret" ref={ref} className="input mono" readOnly value={apiKey.secret} onFocus={(e) => e.target.select()} spellCheck={false} />
        <CopyButton text={apiKey.secret} label="Copy key" />
      </div>
      <p className="muted small">
        Role: {ROLE[apiKey.role]} · prefix <code>{apiKey.prefix}</code>
      </p>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={onDone}>
          I have stored the key
        </button>
      </div>
    </section>
  );
}
