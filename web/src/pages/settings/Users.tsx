import { useState } from "react";
import { api, call, type Role, type User } from "../../api/client";
import { useAuth } from "../../auth/AuthContext";
import { useActions, usePaged, useTitle } from "../../lib/hooks";
import { PAGE_SIZE } from "../../lib/data";
import { ROLE, ROLE_HELP, keysOf } from "../../lib/labels";
import { PageHeader } from "../../components/PageHeader";
import { AdminOnlyHint, ErrorAlert, TextNotice } from "../../components/alerts";
import { Badge } from "../../components/badges";
import { DateTime } from "../../components/DateTime";
import { EmptyState } from "../../components/EmptyState";
import { DataTable, PagedCard } from "../../components/tables";
import { useConfirm } from "../../components/ConfirmDialog";
import { NewUserForm } from "./NewUserForm";

export function UsersPage() {
  useTitle("Users");
  const { isAdmin, me } = useAuth();
  const list = usePaged<User>((cursor) => call(api.GET("/api/v1/users", { params: { query: { limit: PAGE_SIZE, cursor } } })));
  const [message, setMessage] = useState<string | null>(null);
  const actions = useActions<string>();
  const busy = actions.busy;
  const [showForm, setShowForm] = useState(false);
  const [dialog, confirm] = useConfirm();

  const patch = async (u: User, body: { role?: Role; active?: boolean }, done: string) => {
    await actions.run(u.id, async () => {
      setMessage(null);
      const updated = await call(api.PATCH("/api/v1/users/{id}", { params: { path: { id: u.id } }, body }));
      list.replace((x) => x.id === u.id, updated);
      setMessage(done.replace("{name}", updated.name));
    });
  };

  const changeRole = async (u: User, role: Role) => {
    if (role === u.role) return;
    const ok = await confirm({
      title: `Make ${u.name} ${ROLE[role].toLowerCase()}?`,
      body: <p>{ROLE_HELP[role]}</p>,
      confirmLabel: `Change role to ${ROLE[role]}`,
    });
    if (!ok) return; // the controlled <select> falls back to the current role
    await patch(u, { role }, `{name} is now ${ROLE[role].toLowerCase()}.`);
  };

  const toggleActive = async (u: User) => {
    if (u.active) {
      const ok = await confirm({
        title: `Deactivate ${u.name}?`,
        body: <p>{u.email} can no longer sign in; their sessions and API keys stop working at once. You can reactivate them later.</p>,
        confirmLabel: "Deactivate",
        danger: true,
      });
      if (!ok) return;
      await patch(u, { active: false }, "{name} is deactivated.");
    } else {
      await patch(u, { active: true }, "{name} is active again.");
    }
  };

  return (
    <>
      {dialog}
      <PageHeader
        title="Users"
        subtitle="People who can sign in to this organisation's hub."
        actions={
          isAdmin && !showForm ? (
            <button type="button" className="btn btn-primary" onClick={() => setShowForm(true)}>
              Add user
            </button>
          ) : undefined
        }
      />
      {!isAdmin && <AdminOnlyHint>Users are managed by admins.</AdminOnlyHint>}
      <TextNotice text={message} onDismiss={() => setMessage(null)} />
      <ErrorAlert error={actions.error} onDismiss={actions.dismissError} />
      {isAdmin && showForm && (
        <NewUserForm
          onCancel={() => setShowForm(false)}
          onCreated={(u) => {
            setShowForm(false);
            setMessage(`${u.name} (${u.email}) can now sign in as ${ROLE[u.role].toLowerCase()}.`);
            list.reload();
          }}
        />
      )}
      <PagedCard list={list} empty={<EmptyState title="No users" />}>
        <DataTable caption="Users" columns={["Name", "Email", "Role", "Status", "Added", isAdmin && { label: "Actions", hidden: true }]}>
          {list.items.map((u) => (
            <tr key={u.id} className={u.active ? "" : "row-muted"}>
              <td>
                {u.name}
                {u.id === me?.id && <span className="muted small"> (you)</span>}
              </td>
              <td>{u.email}</td>
              <td>
                {isAdmin ? (
                  <select
                    className="input input-sm"
                    aria-label={`Role of ${u.name}`}
                    value={u.role}
                    disabled={busy !== null}
                    onChange={(e) => changeRole(u, e.target.value as Role)}
                  >
                    {keysOf(ROLE).map((r) => (
                      <option key={r} value={r}>
                        {ROLE[r]}
                      </option>
                    ))}
                  </select>
                ) : (
                  ROLE[u.role]
                )}
              </td>
              <td>{u.active ? <Badge tone="success">Active</Badge> : <Badge tone="neutral">Deactivated</Badge>}</td>
              <td className="nowrap">
                <DateTime value={u.created_at} />
              </td>
              {isAdmin && (
                <td className="cell-actions">
                  <button
                    type="button"
                    className={`btn btn-sm ${u.active ? "btn-danger-outline" : "btn-secondary"}`}
                    onClick={() => toggleActive(u)}
                    disabled={busy !== null}
                    aria-label={`${u.active ? "Deactivate" : "Reactivate"} ${u.name}`}
                  >
                    {busy === u.id ? "Saving…" : u.active ? "Deactivate" : "Reactivate"}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      </PagedCard>
    </>
  );
}
