// DeployRequests.tsx — a database's deploy requests, and a form that opens one
// from a branch (the API computes the diff, the lint and the conflicts).
import { useState } from "react";
import { ApiError, asApiError, idempotencyKey, post } from "../api";
import { usePoll } from "../hooks";
import type { Branch, Database, DeployRequest, Operation } from "../types";
import { Card, Empty, ErrorNote, Link, StateBadge } from "../components/ui";
import { when } from "../format";
import { navigate } from "../router";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

function OpenRequest({ id, branches }: { id: string; branches: Branch[] }) {
  const ready = branches.filter((branch) => branch.state === "ready");
  const [branch, setBranch] = useState("");
  const [autoApply, setAutoApply] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = branch || ready[0]?.name || "";

  const submit = async () => {
    setError(null);
    setBusy(true);
    try {
      const answer = await post<{ deploy_request: DeployRequest; operation: Operation | null }>(
        `/v1/databases/${id}/deploy-requests`,
        { branch: chosen, auto_apply: autoApply },
        idempotencyKey(),
      );
      navigate(`/databases/${id}/deploy-requests/${answer.deploy_request.number}`);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Open a deploy request">
      <ErrorNote error={error} title="The deploy request was not opened" />
      {ready.length === 0 ? (
        <p>
          A deploy request starts from a ready branch: <Link to={`/databases/${id}/branches`}>create one</Link>, change its schema, then come back.
        </p>
      ) : (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <label className="inline">
            From branch
            <select value={chosen} onChange={(event) => setBranch(event.target.value)}>
              {ready.map((candidate) => (
                <option key={candidate.id} value={candidate.name}>
                  {candidate.name}
                </option>
              ))}
            </select>
          </label>
          <label className="inline">
            <input type="checkbox" checked={autoApply} onChange={(event) => setAutoApply(event.target.checked)} /> Deploy at once when nothing blocks it
          </label>
          <button type="submit" disabled={busy}>
            Open deploy request
          </button>
        </form>
      )}
    </Card>
  );
}

export function DeployRequestsScreen({ id }: { id: string }) {
  const { session } = useSession();
  const writer = canWrite(session);
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const requests = usePoll<{ deploy_requests: DeployRequest[] }>(`/v1/databases/${id}/deploy-requests`, 3000);
  const branches = usePoll<{ branches: Branch[] }>(writer ? `/v1/databases/${id}/branches` : null, 5000);
  const list = requests.data?.deploy_requests ?? [];
  return (
    <>
      <DatabaseTitle database={database.data?.database} section="Deploy requests" />
      <ErrorNote error={database.error ?? requests.error ?? branches.error} title="Could not load the deploy requests" />
      <Card title="Deploy requests">
        <p className="hint">
          A deploy request takes a branch's schema changes into this database: the DDL that will run, what the lint thinks of it, conflicts with changes made here
          since the branch, then an online deploy you can revert for a while.
        </p>
        {requests.data && list.length === 0 && (
          <Empty title="No deploy request yet">
            <p>{writer ? "Open one from a branch below." : "A developer or admin can open one from a branch."}</p>
          </Empty>
        )}
        {list.length > 0 && (
          <div className="table-wrap">
            <table className="list" data-testid="deploy-requests">
              <caption className="visually-hidden">Deploy requests</caption>
              <thead>
                <tr>
                  <th scope="col">Request</th>
                  <th scope="col">Branch</th>
                  <th scope="col">State</th>
                  <th scope="col">Deployable</th>
                  <th scope="col">Lint</th>
                  <th scope="col">Opened</th>
                </tr>
              </thead>
              <tbody>
                {list.map((request) => (
                  <tr key={request.id} data-testid={`deploy-request-${request.number}`}>
                    <th scope="row">
                      <Link to={`/databases/${id}/deploy-requests/${request.number}`}>#{request.number}</Link>
                    </th>
                    <td>{request.branch ?? "(deleted)"}</td>
                    <td>
                      <StateBadge state={request.state} />
                    </td>
                    <td>{request.deployable ? "yes" : request.conflicts.length > 0 ? "no: conflicts" : "no"}</td>
                    <td>{request.lint.length === 0 ? "clean" : `${request.lint.length} finding${request.lint.length === 1 ? "" : "s"}`}</td>
                    <td>{when(request.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {writer && database.data?.database.state === "ready" && <OpenRequest id={id} branches={branches.data?.branches ?? []} />}
    </>
  );
}
