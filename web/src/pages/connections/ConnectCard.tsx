import type { Connection } from "../../api/client";
import { Card } from "../../components/Card";
import "./connections.css";

/** The next step of an OAuth connection that is not connected: sign in at the provider. */
export function ConnectCard({ connection, providerName, connecting, disabled, onConnect }: { connection: Connection; providerName: string; connecting: boolean; disabled: boolean; onConnect: () => void }) {
  const failed = connection.status === "error";
  return (
    <Card title={failed ? `Connect to ${providerName} again` : `Next step: connect to ${providerName}`} className="card-callout">
      {!connection.has_credentials ? (
        <p>
          First store the client id and secret of the OAuth app under “Replace credentials” below. Then connect: you sign in to {providerName} and allow the hub access, and come back
          here.
        </p>
      ) : failed ? (
        <p>The last attempt failed (see “Last error”). Connecting sends you to {providerName} to sign in and allow the hub access; you come back here and the hub tests the connection.</p>
      ) : (
        <p>Connecting sends you to {providerName} to sign in and allow the hub access. You come back here afterwards, and the hub tests the connection.</p>
      )}
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={onConnect} disabled={connecting || disabled}>
          {connecting ? `Redirecting to ${providerName}…` : `Connect to ${providerName}`}
        </button>
      </div>
    </Card>
  );
}
