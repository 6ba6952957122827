// Backups.tsx — a database's backups and restore points, "back up now", "make a
// restore point", and restore into a NEW database at a restore point or a time
// (limited to what the backups cover), with the progress of each operation.
import { useState } from "react";
import { ApiError, asApiError, idempotencyKey, post } from "../api";
import { usePoll } from "../hooks";
import type { Backup, Database, DatabaseAndOperation, Operation, RestorePoint } from "../types";
import { Card, Empty, ErrorNote, Link, ProgressBar, StateBadge, Steps } from "../components/ui";
import { bytes, when, words } from "../format";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

// toUtcText writes a datetime-local value (local time) as the API's UTC "YYYY-MM-DD HH:MM:SS".
function toUtcText(local: string): string {
  return new Date(local).toISOString().slice(0, 19).replace("T", " ");
}

function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function RunningOperations({ operations }: { operations: Operation[] }) {
  const shown = operations.filter((operation) => ["backup", "restore_point", "restore"].includes(operation.kind)).slice(0, 5);
  if (shown.length === 0) return null;
  return (
    <Card title="Backup operations">
      <ul className="operations">
        {shown.map((operation) => (
          <li key={operation.id} data-testid={`operation-${operation.kind}`}>
            <div className="operation-head">
              <strong>{words(operation.kind)}</strong> <StateBadge state={operation.state} /> <span className="muted">{when(operation.created_at)}</span>
              {operation.kind === "restore" && operation.args.source_id === undefined ? null : null}
            </div>
            {operation.state !== "succeeded" && <ProgressBar value={operation.progress} label={`${words(operation.kind)} progress`} />}
            {operation.error && <p className="step-error">{operation.error}</p>}
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function BackupsScreen({ id }: { id: string }) {
  const { session } = useSession();
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const ready = database.data?.database.state === "ready";
  const backups = usePoll<{ backups: Backup[]; restore_points: RestorePoint[] }>(ready ? `/v1/databases/${id}/backups` : null, 4000);
  const operations = usePoll<{ operations: Operation[] }>(`/v1/operations?database_id=${id}&limit=20`, 1500);
  const [pointName, setPointName] = useState("");
  const [target, setTarget] = useState<"point" | "time">("point");
  const [point, setPoint] = useState("");
  const [time, setTime] = useState("");
  const [newName, setNewName] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [restore, setRestore] = useState<DatabaseAndOperation | null>(null);
  const restoreProgress = usePoll<{ operation: Operation }>(restore ? `/v1/operations/${restore.operation.id}` : null, 1000);
  const restored = usePoll<{ database: Database }>(restore ? `/v1/databases/${restore.database.id}` : null, 1500);
  const writer = canWrite(session);

  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
      operations.reload();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  const okBackups = (backups.data?.backups ?? []).filter((backup) => backup.status === "ok");
  const points = backups.data?.restore_points ?? [];
  const earliest = okBackups.map((backup) => backup.finished_at ?? "").filter(Boolean).sort()[0];

  return (
    <>
      <DatabaseTitle database={database.data?.database} section="Backups" />
      <ErrorNote error={database.error ?? backups.error ?? operations.error} title="Could not load the backups" />
      <ErrorNote error={error} title="That did not work" />
      <Card
        title="Backups"
        actions={
          writer && ready ? (
            <button type="button" onClick={() => act(() => post(`/v1/databases/${id}/backups`, {}, idempotencyKey()))}>
              Back up now
            </button>
          ) : undefined
        }
      >
        <p className="hint">
          Every node archives its WAL all the time; shaled makes a full backup of every group daily and restore points every 15 minutes
          (DIR/backup/schedule.conf). A restore needs one backup at least.
        </p>
        {backups.data && backups.data.backups.length === 0 && (
          <Empty title="No backup yet">
            <p>{writer ? "Press Back up now to make the first one; it takes seconds for a small database." : "The first scheduled backup will show here."}</p>
          </Empty>
        )}
        {backups.data && backups.data.backups.length > 0 && (
          <div className="table-wrap">
            <table className="list" data-testid="backups">
              <caption className="visually-hidden">Backups</caption>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Finished</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {backups.data.backups.map((backup, index) => (
                  <tr key={(backup.label ?? "") + index}>
                    <td>{backup.group === 0 ? "router" : backup.group}</td>
                    <td>{backup.kind}</td>
                    <td>{backup.status === "ok" ? "ok" : `${backup.status}: ${backup.error ?? ""}`}</td>
                    <td>{when(backup.finished_at)}</td>
                    <td>{bytes(backup.size_bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card
        title="Restore points"
        actions={
          writer && ready ? (
            <form
              className="inline-form"
              onSubmit={(event) => {
                event.preventDefault();
                act(() => post(`/v1/databases/${id}/restore-points`, pointName ? { name: pointName } : {}, idempotencyKey()));
                setPointName("");
              }}
            >
              <label className="inline">
                Name (optional)
                <input value={pointName} onChange={(event) => setPointName(event.target.value)} className="narrow" />
              </label>
              <button type="submit">Make restore point</button>
            </form>
          ) : undefined
        }
      >
        {points.length === 0 ? (
          <p>No restore point yet. A restore point marks one consistent moment on every node at once: the best target for a restore.</p>
        ) : (
          <ul className="points" data-testid="restore-points">
            {points.map((candidate) => (
              <li key={candidate.name}>
                <code>{candidate.name}</code> <span className="muted">{when(candidate.created_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
      {writer && ready && (
        <Card title="Restore into a new database">
          {okBackups.length === 0 ? (
            <p>A restore starts from a backup: make one first (Back up now).</p>
          ) : (
            <form
              className="restore-form"
              onSubmit={(event) => {
                event.preventDefault();
                const to = target === "point" ? point || points[points.length - 1]?.name : time ? toUtcText(time) : "";
                if (!to) {
                  setError(new ApiError(422, "invalid_field", target === "point" ? "choose a restore point" : "choose a time", "to"));
                  return;
                }
                act(async () => setRestore(await post<DatabaseAndOperation>(`/v1/databases/${id}/restore`, { name: newName, to }, idempotencyKey())));
              }}
            >
              <label>
                Name of the new database
                <input value={newName} onChange={(event) => setNewName(event.target.value.trim())} required />
              </label>
              <fieldset>
                <legend>Restore to</legend>
                <label className="inline">
                  <input type="radio" name="target" checked={target === "point"} onChange={() => setTarget("point")} disabled={points.length === 0} /> a restore point
                </label>
                <select aria-label="Restore point" value={point || points[points.length - 1]?.name || ""} onChange={(event) => setPoint(event.target.value)} disabled={target !== "point"}>
                  {points.map((candidate) => (
                    <option key={candidate.name} value={candidate.name}>
                      {candidate.name}
                    </option>
                  ))}
                </select>
                <label className="inline">
                  <input type="radio" name="target" checked={target === "time"} onChange={() => setTarget("time")} /> a time
                </label>
                <input
                  type="datetime-local"
                  step={1}
                  aria-label="Restore time (your local time)"
                  min={earliest ? toLocalInput(earliest) : undefined}
                  max={toLocalInput(new Date().toISOString())}
                  value={time}
                  onChange={(event) => setTime(event.target.value)}
                  disabled={target !== "time"}
                />
                {earliest && <p className="hint">Any second from {when(earliest)} (the first backup) until now.</p>}
              </fieldset>
              <button type="submit">Restore</button>
            </form>
          )}
          {restore && (
            <div className="restore-progress" aria-live="polite">
              <p>
                Restoring into{" "}
                <Link to={`/databases/${restore.database.id}`}>{restore.database.name}</Link>: {restored.data ? <StateBadge state={restored.data.database.state} /> : "…"}
              </p>
              {restoreProgress.data && (
                <>
                  <ProgressBar value={restoreProgress.data.operation.progress} label="Restore progress" />
                  <Steps steps={restoreProgress.data.operation.steps} />
                  {restoreProgress.data.operation.error && <p className="step-error">{restoreProgress.data.operation.error}</p>}
                </>
              )}
            </div>
          )}
        </Card>
      )}
      <RunningOperations operations={operations.data?.operations ?? []} />
    </>
  );
}
