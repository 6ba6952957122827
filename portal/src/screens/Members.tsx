// Members.tsx — the organization's portal members: admins add members with a
// role (admin, developer, read-only), change roles, set a new password, remove.
import { useState } from "react";
import { del, idempotencyKey, patch, post } from "../api";
import { useAction, usePoll } from "../hooks";
import type { Member } from "../types";
import { Card, ErrorNote } from "../components/ui";
import { when } from "../format";
import { isAdmin, useSession } from "../session";

const roles = ["admin", "developer", "read-only"] as const;
const roleMeaning = { admin: "everything, members and API tokens too", developer: "create and change databases", "read-only": "see everything, change nothing" };

export function MembersScreen() {
  const { session } = useSession();
  const admin = isAdmin(session);
  const members = usePoll<{ members: Member[] }>("/v1/members");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<(typeof roles)[number]>("developer");
  const { error, notice, run: act } = useAction(members.reload);

  return (
    <>
      <div className="page-head">
        <h1>Members of {session.organization.name}</h1>
      </div>
      <ErrorNote error={members.error} title="Could not load the members" />
      <ErrorNote error={error} title="That did not work" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Card title="Members">
        <ul className="members">
          {roles.map((name) => (
            <li key={name} className="muted">
              {name}: {roleMeaning[name]}
            </li>
          ))}
        </ul>
        <div className="table-wrap">
          <table className="list">
            <caption className="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                {admin && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {(members.data?.members ?? []).map((member) => (
                <tr key={member.id}>
                  <td>{member.email}</td>
                  <td>{member.name || "—"}</td>
                  <td>
                    {admin ? (
                      <select
                        aria-label={`Role of ${member.email}`}
                        value={member.role}
                        onChange={(event) => act(() => patch(`/v1/members/${member.id}`, { role: event.target.value }), `${member.email} is ${event.target.value} now.`)}
                      >
                        {roles.map((name) => (
                          <option key={name}>{name}</option>
                        ))}
                      </select>
                    ) : (
                      member.role
                    )}
                  </td>
                  <td>{when(member.created_at)}</td>
                  {admin && (
                    <td>
                      <button type="button" className="danger small" onClick={() => act(() => del(`/v1/members/${member.id}`), `${member.email} removed.`)}>
                        Remove {member.email}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      {admin && (
        <Card title="Add a member">
          <form
            className="member-form"
            onSubmit={(event) => {
              event.preventDefault();
              act(() => post("/v1/members", { email, password, role }, idempotencyKey()), `${email} added as ${role}. Give them the password yourself.`);
            }}
          >
            <label>
              E-mail address
              <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} required autoComplete="off" />
            </label>
            <label>
              Initial password (at least 10 characters)
              <input type="password" value={password} onChange={(event) => setPassword(event.target.value)} required minLength={10} autoComplete="new-password" />
            </label>
            <label>
              Role
              <select aria-label="Role of the new member" value={role} onChange={(event) => setRole(event.target.value as (typeof roles)[number])}>
                {roles.map((name) => (
                  <option key={name}>{name}</option>
                ))}
              </select>
            </label>
            <button type="submit">Add member</button>
          </form>
        </Card>
      )}
    </>
  );
}
