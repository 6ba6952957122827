// Settings.tsx — a database's roles (create; reset shows the new password
// once; delete), its plan, and delete (typed confirmation) or undelete during
// the grace period. Read-only members see the facts without the buttons.
import { useState } from "react";
import { del, idempotencyKey, patch, post } from "../api";
import { useAction, usePoll } from "../hooks";
import type { Database, DatabaseAndOperation, Plan, Role, RoleWithPassword } from "../types";
import { Card, CopyButton, ErrorNote, Link } from "../components/ui";
import { when } from "../format";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

export function SettingsScreen({ id }: { id: string }) {
  const { session } = useSession();
  const writer = canWrite(session);
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`, 3000);
  const current = database.data?.database;
  const ready = current?.state === "ready";
  const roles = usePoll<{ roles: Role[] }>(ready ? `/v1/databases/${id}/roles` : null);
  const plans = usePoll<{ plans: Plan[] }>("/v1/plans");
  const [roleName, setRoleName] = useState("");
  const [secret, setSecret] = useState<RoleWithPassword | null>(null);
  const [plan, setPlan] = useState("");
  const [confirm, setConfirm] = useState("");
  const { error, notice, run: act } = useAction(() => {
    roles.reload();
    database.reload();
  });

  return (
    <>
      <DatabaseTitle database={current} section="Settings" />
      <ErrorNote error={database.error ?? roles.error} title="Could not load the settings" />
      <ErrorNote error={error} title="That did not work" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {secret && (
        <div className="secret" role="alert">
          <strong>The password of {secret.role.name}, shown only this once:</strong> <code data-testid="role-password">{secret.password}</code>{" "}
          <CopyButton text={secret.password} label={`Copy the password of ${secret.role.name}`} />
          <div>
            URI: <code data-testid="role-uri">{secret.connection_uri}</code> <CopyButton text={secret.connection_uri} label={`Copy the URI of ${secret.role.name}`} />
          </div>
          <button type="button" className="secondary small" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}
      {current && ready && (
        <Card title="Roles">
          {(roles.data?.roles ?? []).length === 0 && <p>No application role yet. Make one per application, rather than sharing the owner role postgres.</p>}
          <ul className="roles">
            {(roles.data?.roles ?? []).map((role) => (
              <li key={role.id}>
                <strong>{role.name}</strong> <span className="muted">password set {when(role.password_changed_at)}</span>
                {writer && (
                  <>
                    {" "}
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => act(async () => setSecret(await post<RoleWithPassword>(`/v1/databases/${id}/roles/${role.name}/reset-password`)), `New password for ${role.name}.`)}
                    >
                      Reset password
                    </button>{" "}
                    <button type="button" className="danger small" onClick={() => act(() => del(`/v1/databases/${id}/roles/${role.name}`), `Role ${role.name} deleted.`)}>
                      Delete role {role.name}
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
          {writer && (
            <form
              className="inline-form"
              onSubmit={(event) => {
                event.preventDefault();
                act(async () => setSecret(await post<RoleWithPassword>(`/v1/databases/${id}/roles`, { name: roleName }, idempotencyKey())), `Role ${roleName} created.`);
                setRoleName("");
              }}
            >
              <label className="inline">
                New role name
                <input value={roleName} onChange={(event) => setRoleName(event.target.value.trim())} required className="narrow" />
              </label>
              <button type="submit">Create role</button>
            </form>
          )}
        </Card>
      )}
      {current && (
        <Card title="Plan">
          <p>
            This database is on the <strong>{current.plan}</strong> plan ({plans.data?.plans.find((candidate) => candidate.name === current.plan)?.description}).
          </p>
          {writer && ready && (
            <form
              className="inline-form"
              onSubmit={(event) => {
                event.preventDefault();
                act(() => patch(`/v1/databases/${id}`, { plan }), `The plan is ${plan} now.`);
              }}
            >
              <label className="inline">
                Change the plan to
                <select value={plan || current.plan} onChange={(event) => setPlan(event.target.value)}>
                  {(plans.data?.plans ?? []).map((candidate) => (
                    <option key={candidate.name} value={candidate.name}>
                      {candidate.name}: {candidate.description}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit" disabled={!plan || plan === current.plan}>
                Change plan
              </button>
            </form>
          )}
        </Card>
      )}
      {current && writer && (current.state === "ready" || current.state === "failed") && (
        <Card title="Delete this database">
          <p>
            Deleting stops every server of {current.name}. It can be undeleted during the grace period; after that its data is gone. Type its name to
            confirm.
          </p>
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              act(() => del<DatabaseAndOperation>(`/v1/databases/${id}`), `${current.name} is being deleted.`);
              setConfirm("");
            }}
          >
            <label className="inline">
              Type {current.name} to confirm
              <input value={confirm} onChange={(event) => setConfirm(event.target.value)} className="narrow" autoComplete="off" />
            </label>
            <button type="submit" className="danger" disabled={confirm !== current.name}>
              Delete database
            </button>
          </form>
        </Card>
      )}
      {current && current.state === "deleted" && (
        <Card title="Deleted">
          <p>
            {current.name} was deleted {when(current.deleted_at)}; it can be undeleted until {when(current.purge_after)}.
          </p>
          {writer && (
            <button type="button" onClick={() => act(() => post(`/v1/databases/${id}/undelete`, {}, idempotencyKey()), `${current.name} is coming back.`)}>
              Undelete
            </button>
          )}
        </Card>
      )}
      {!writer && (
        <p className="hint">
          Your role is read-only: you can see the settings but not change them. <Link to="/members">Members</Link> lists who can.
        </p>
      )}
    </>
  );
}
