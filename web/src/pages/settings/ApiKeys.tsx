import { useEffect, useRef, useState } from "react";
import { api, call, type ApiKey, type CreatedApiKey, type Role } from "../../api/client";
import { toApiError, type ApiError } from "../../api/errors";
import { useAuth } from "../../auth/AuthContext";
import { usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE } from "../../lib/data";
import { ROLE, ROLE_HELP, keysOf } from "../../lib/labels";
import { AdminOnlyHint, Badge, Card, CopyButton, DateTime, EmptyState, ErrorAlert, LoadMore, Loading, Notice, PageHeader, Ticks } from "../../components/ui";
import { RadioGroup, TextField } from "../../components/fields";
import { useApiForm } from "../../components/useApiForm";
import { useConfirm } from "../../components/ConfirmDialog";

export function ApiKeysPage() {
  useTitle("API keys");
  const { isAdmin } = useAuth();
  const list = usePaged<ApiKey>((cursor) => call(api.GET("/api/v1/api-keys", { params: { query: { limit: PAGE_SIZE, cursor } } })));
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
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
    setBusy(k.id);
    setActionError(null);
    setMessage(null);
    try {
      const updated = await call(api.POST("/api/v1/api-keys/{id}/revoke", { params: { path: { id: k.id } } }));
      list.replace((x) => x.id === k.id, updated);
      setMessage(`Key “${updated.name}” revoked.`);
    } catch (e) {
      setActionError(toApiError(e));
    } finally {
      setBusy(null);
    }
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
      {message && (
        <Notice onDismiss={() => setMessage(null)}>
          <Ticks text={message} />
        </Notice>
      )}
      <ErrorAlert error={actionError} onDismiss={() => setActionError(null)} />
      {created && <SecretOnce apiKey={created} onDone={() => setCreated(null)} />}
      {isAdmin && showForm && (
        <NewKeyForm
          onCancel={() => setShowForm(false)}
          onCreated={(k) => {
            setShowForm(false);
            setCreated(k);
            list.reload();
          }}
        />
      )}
      <ErrorAlert error={list.error} />
      {!list.error && (
        <Card>
          {list.loading ? (
            <Loading />
          ) : list.items.length === 0 ? (
            <EmptyState title="No API keys yet">Create one for each script, so each can be revoked on its own.</EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">API keys</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    {isAdmin && (
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
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
                </tbody>
              </table>
            </div>
          )}
          {!list.loading && list.items.length > 0 && <LoadMore count={list.items.length} nextCursor={list.nextCursor} loading={list.loadingMore} onMore={list.loadMore} />}
        </Card>
      )}
    </>
  );
}

/** The new key's secret, shown this once. */
function SecretOnce({ apiKey, onDone }: { apiKey: CreatedApiKey; onDone: () => void }) {
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

function NewKeyForm({ onCreated, onCancel }: { onCreated: (k: CreatedApiKey) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("support");
  const { errors, error, other, busy, formRef, submit } = useApiForm({
    values: null,
    validate: (): Record<string, string> => (name.trim() ? {} : { name: "is required" }),
    known: ["name", "role"],
    onSubmit: async () => onCreated(await call(api.POST("/api/v1/api-keys", { body: { name: name.trim(), role } }))),
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      <Card title="Create API key">
        <TextField path="name" label="Name" value={name} onChange={setName} required error={errors.name} help="What uses the key, e.g. “nightly export script”." autoFocus />
        <RadioGroup
          path="role"
          legend="Acts as"
          value={role}
          onChange={setRole}
          options={keysOf(ROLE).map((r) => ({ value: r, label: ROLE[r], description: ROLE_HELP[r] }))}
          error={errors.role}
        />
        <ErrorAlert error={error} other={other} fieldsShown />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create key"}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </Card>
    </form>
  );
}
