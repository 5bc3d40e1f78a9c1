import { useState } from "react";
import { api, call, type ApiKey, type CreatedApiKey } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE } from "../../lib/data";
import { ROLE } from "../../lib/labels";
import { PageHeader } from "../../components/PageHeader";
import { AdminOnlyHint, ErrorAlert, TextNotice } from "../../components/alerts";
import { Badge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";
import { useConfirm } from "../../components/ConfirmDialog";
import { ApiKeySecret } from "./ApiKeySecret";
import { NewApiKeyForm } from "./NewApiKeyForm";

export function ApiKeysPage() {
  useTitle("API keys");
  const { isAdmin } = useAuth();
  const list = usePaged<ApiKey>((cursor) => call(api.GET("/api/v1/api-keys", { params: { query: { limit: PAGE_SIZE, cursor } } })));
  const [message, setMessage] = useState<string | null>(null);
  const actions = useActions<string>();
  const busy = actions.busy;
  const [showForm, setShowForm] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [dialog, confirm] = useConfirm();

  const revoke = async (k: ApiKey) => {
    const ok = await confirm({
      title: `Revoke “${k.name}”?`,
      body: <p>Scripts using the key {k.prefix}… stop working at once. This cannot be undone.</p>,
      confirmLabel: "Revoke key",
      danger: true,
    });
    if (!ok) return;
    await actions.run(k.id, async () => {
      setMessage(null);
      const updated = await call(api.POST("/api/v1/api-keys/{id}/revoke", { params: { path: { id: k.id } } }));
      list.replace((x) => x.id === k.id, updated);
      setMessage(`Key “${updated.name}” revoked.`);
    });
  };

  return (
    <>
      {dialog}
      <PageHeader
        title="API keys"
        subtitle="Keys let scripts call the REST API. Send one as “Authorization: Bearer <key>”."
        actions={
          isAdmin && !showForm && !created ? (
            <button type="button" className="btn btn-primary" onClick={() => setShowForm(true)}>
              Create API key
            </button>
          ) : undefined
        }
      />
      {!isAdmin && <AdminOnlyHint>API keys are managed by admins.</AdminOnlyHint>}
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      {created && <ApiKeySecret apiKey={created} onDone={() => setCreated(null)} />}
      {isAdmin && showForm && (
        <NewApiKeyForm
          onCancel={() => setShowForm(false)}
          onCreated={(k) => {
            setShowForm(false);
            setCreated(k);
            list.reload();
          }}
        />
      )}
      <PagedCard
        list={list}
        empty={
          <EmptyState title="No API keys yet">Create one for each script, so each can be revoked on its own.</EmptyState>
        }
      >
        <DataTable caption="API keys" columns={["Name", "Key", "Role", "Status", "Created", "Last used", isAdmin && { label: "Actions", hidden: true }]}>
          {list.items.map((k) => (
            <tr key={k.id} className={k.revoked_at ? "row-muted" : ""}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>{ROLE[k.role]}</td>
              <td>
                {k.revoked_at ? (
                  <Badge tone="neutral">
                    Revoked <DateTime value={k.revoked_at} />
                  </Badge>
                ) : k.expires_at && new Date(k.expires_at) <= new Date() ? (
                  <Badge tone="neutral">
                    Expired <DateTime value={k.expires_at} />
                  </Badge>
                ) : k.expires_at ? (
                  <Badge tone="success">
                    Active until <DateTime value={k.expires_at} />
                  </Badge>
                ) : (
                  <Badge tone="success">Active</Badge>
                )}
              </td>
              <td className="nowrap">
                <DateTime value={k.created_at} />
              </td>
              <td className="nowrap">
                <DateTime value={k.last_used_at} empty="never" />
              </td>
              {isAdmin && (
                <td className="cell-actions">
                  {!k.revoked_at && (
                    <button type="button" className="btn btn-sm btn-danger-outline" onClick={() => revoke(k)} disabled={busy !== null} aria-label={`Revoke ${k.name}`}>
                      {busy === k.id ? "Revoking…" : "Revoke"}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      </PagedCard>
    </>
  );
}
