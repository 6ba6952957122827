// Branches.tsx — a database's branches (parent, what data, state, expiry, URI),
// a form to make one (schema only, the latest data, a restore point or a time,
// and a TTL), and reset and delete, each confirmed. Every check of the input is
// the API's own: its error is shown as it comes.
import { useState } from "react";
import { ApiError, asApiError, del, idempotencyKey, post } from "../api";
import { usePoll } from "../hooks";
import type { Branch, Database, DatabaseAndOperation, Operation, RestorePoint } from "../types";
import { Card, ConfirmButton, CopyButton, Empty, ErrorNote, Link, ProgressBar, StateBadge, Steps } from "../components/ui";
import { when, words } from "../format";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

const units: [string, number][] = [
  ["minutes", 60],
  ["hours", 3600],
  ["days", 86400],
];

// dataLabel says in words what a branch was made with.
function dataLabel(data: string | null): string {
  if (!data || data === "schema") return "schema only";
  if (data === "latest") return "latest data";
  return /^\d{4}-\d\d-\d\d /.test(data) ? `data at ${data} UTC` : `data at restore point ${data}`;
}

function CreateBranch({ id, points, onStarted }: { id: string; points: RestorePoint[]; onStarted: (started: DatabaseAndOperation) => void }) {
  const [name, setName] = useState("");
  const [data, setData] = useState("schema");
  const [time, setTime] = useState("");
  const [ttl, setTtl] = useState("");
  const [unit, setUnit] = useState(3600);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setError(null);
    setBusy(true);
    const body: Record<string, unknown> = { name, data: data === "time" ? time : data };
    if (ttl.trim() !== "") body.ttl_seconds = Math.round(Number(ttl) * unit);
    try {
      onStarted(await post<DatabaseAndOperation>(`/v1/databases/${id}/branches`, body, idempotencyKey()));
      setName("");
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Create a branch">
      <form
        className="branch-form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <ErrorNote error={error} title="The branch was not created" />
        <label>
          Branch name
          <input value={name} onChange={(event) => setName(event.target.value)} aria-describedby="branch-name-hint" />
        </label>
        <p className="hint" id="branch-name-hint">
          Lower-case letters, digits and dashes, starting with a letter.
        </p>
        <label>
          Data
          <select value={data} onChange={(event) => setData(event.target.value)}>
            <option value="schema">Schema only (no rows, ready in seconds)</option>
            <option value="latest">Latest data (a backup and restore point first)</option>
            {points.map((point) => (
              <option key={point.name} value={point.name}>
                Data at restore point {point.name}
              </option>
            ))}
            <option value="time">Data at a time (UTC)</option>
          </select>
        </label>
        {data === "time" && (
          <label>
            Time (UTC, YYYY-MM-DD HH:MM:SS)
            <input value={time} onChange={(event) => setTime(event.target.value)} placeholder="2026-12-02 15:00:00" />
          </label>
        )}
        <div className="inline-form">
          <label className="inline">
            Delete after (optional)
            <input className="narrow" inputMode="decimal" value={ttl} onChange={(event) => setTtl(event.target.value)} />
          </label>
          <select aria-label="Unit of the time to live" value={unit} onChange={(event) => setUnit(Number(event.target.value))}>
            {units.map(([label, seconds]) => (
              <option key={label} value={seconds}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          Create branch
        </button>
      </form>
    </Card>
  );
}

function BranchRow({ branch, parent, writer, onAct }: { branch: Branch; parent: string; writer: boolean; onAct: (what: () => Promise<unknown>) => void }) {
  const base = `/v1/databases/${branch.parent_id}/branches/${branch.id}`;
  return (
    <tr data-testid={`branch-${branch.name}`}>
      <th scope="row">
        <Link to={`/databases/${branch.id}`}>{branch.name}</Link>
      </th>
      <td>{parent}</td>
      <td>{dataLabel(branch.branch_data)}</td>
      <td>
        <StateBadge state={branch.state} />
        {branch.error && <div className="step-error">{branch.error}</div>}
      </td>
      <td>{branch.expires_at ? when(branch.expires_at) : "never"}</td>
      <td className="uri-cell">
        {branch.uri ? (
          <>
            <code>{branch.uri}</code> <CopyButton text={branch.uri} label={`Copy the URI of branch ${branch.name}`} />
          </>
        ) : (
          "—"
        )}
      </td>
      <td>
        <div className="table-actions">
        {writer && branch.state === "ready" && (
          <>
            <ConfirmButton
              label={`Reset branch ${branch.name}`}
              question={`Reset ${branch.name} to ${parent}'s current ${branch.branch_data === "schema" ? "schema" : "data"}? Its changes are lost.`}
              onConfirm={() => onAct(() => post(`${base}/reset`, {}, idempotencyKey()))}
            />{" "}
          </>
        )}
        {writer && ["ready", "failed"].includes(branch.state) && (
          <ConfirmButton
            danger
            label={`Delete branch ${branch.name}`}
            question={`Delete ${branch.name} with its servers and files?`}
            onConfirm={() => onAct(() => del(base))}
          />
        )}
        </div>
      </td>
    </tr>
  );
}

export function BranchesScreen({ id }: { id: string }) {
  const { session } = useSession();
  const writer = canWrite(session);
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const ready = database.data?.database.state === "ready";
  const branches = usePoll<{ branches: Branch[] }>(`/v1/databases/${id}/branches`, 2000);
  const backups = usePoll<{ restore_points: RestorePoint[] }>(ready && writer ? `/v1/databases/${id}/backups` : null, 15000);
  const [started, setStarted] = useState<DatabaseAndOperation | null>(null);
  const progress = usePoll<{ operation: Operation }>(started ? `/v1/operations/${started.operation.id}` : null, 1000);
  const [error, setError] = useState<ApiError | null>(null);
  const parent = database.data?.database.name ?? "…";
  const list = (branches.data?.branches ?? []).filter((branch) => branch.state !== "deleted");

  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
    } catch (failure) {
      setError(asApiError(failure));
    }
    branches.reload();
  };

  return (
    <>
      <DatabaseTitle database={database.data?.database} section="Branches" />
      <ErrorNote error={database.error ?? branches.error} title="Could not load the branches" />
      <ErrorNote error={error} />
      <Card title="Branches">
        <p className="hint">
          A branch is a database of its own made from {parent}: its schema, or its rows at a moment. Change the schema on a branch, then open a{" "}
          <Link to={`/databases/${id}/deploy-requests`}>deploy request</Link> to take the change into {parent}. Branches do not count against the plan.
        </p>
        {branches.data && list.length === 0 && (
          <Empty title="No branch yet">
            <p>{writer ? "Create one below; a schema branch is ready in seconds." : "A developer or admin can create one."}</p>
          </Empty>
        )}
        {list.length > 0 && (
          <div className="table-wrap">
            <table className="list" data-testid="branches">
              <caption className="visually-hidden">Branches of {parent}</caption>
              <thead>
                <tr>
                  <th scope="col">Branch</th>
                  <th scope="col">Parent</th>
                  <th scope="col">Data</th>
                  <th scope="col">State</th>
                  <th scope="col">Expires</th>
                  <th scope="col">URI</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((branch) => (
                  <BranchRow key={branch.id} branch={branch} parent={parent} writer={writer} onAct={act} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {started && (
        <Card title={`${progress.data?.operation.state === "succeeded" ? "Created" : "Creating"} ${started.database.name}`}>
          {progress.data && (
            <div aria-live="polite">
              {progress.data.operation.state !== "succeeded" && <ProgressBar value={progress.data.operation.progress} label={`Creation of branch ${started.database.name}`} />}
              <p>
                {words(progress.data.operation.kind)}: <StateBadge state={progress.data.operation.state} />
              </p>
              <Steps steps={progress.data.operation.steps} />
              {progress.data.operation.error && <p className="step-error">{progress.data.operation.error}</p>}
            </div>
          )}
        </Card>
      )}
      {writer && ready && (
        <CreateBranch
          id={id}
          points={backups.data?.restore_points ?? []}
          onStarted={(answer) => {
            setStarted(answer);
            branches.reload();
          }}
        />
      )}
    </>
  );
}
