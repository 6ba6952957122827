// Databases.tsx — every database of the organization at a glance: state, plan,
// size against the plan's storage, worker groups, replicas, last backup.
import { usePoll } from "../hooks";
import type { Backup, Database } from "../types";
import { Empty, ErrorNote, Link, StateBadge } from "../components/ui";
import { ago, bytes } from "../format";
import { canWrite, useSession } from "../session";

function LastBackup({ database }: { database: Database }) {
  const backups = usePoll<{ backups: Backup[] }>(database.state === "ready" ? `/v1/databases/${database.id}/backups` : null, 0);
  if (database.state !== "ready") return <>—</>;
  if (backups.error) return <span title={backups.error.message}>unknown</span>;
  const done = (backups.data?.backups ?? []).filter((backup) => backup.status === "ok" && backup.finished_at);
  if (!backups.data) return <>…</>;
  if (done.length === 0) return <>none yet</>;
  const last = done.map((backup) => backup.finished_at!).sort().pop();
  return <>{ago(last)}</>;
}

export function DatabasesScreen() {
  const { session } = useSession();
  const list = usePoll<{ databases: Database[] }>("/v1/databases?include_deleted=true", 3000);
  const databases = list.data?.databases ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Databases</h1>
        {canWrite(session) && (
          <Link to="/new" className="button">
            Create database
          </Link>
        )}
      </div>
      <ErrorNote error={list.error} title="Could not load the databases" />
      {list.data && databases.length === 0 && (
        <Empty title="No database yet">
          <p>
            A database is a whole Shale cluster: a router, worker groups that hold the shards, replicas, backups.{" "}
            {canWrite(session) ? (
              <>
                Start with <Link to="/new">Create database</Link>: pick a template, a name and a plan; it is ready in seconds.
              </>
            ) : (
              <>Ask a developer or an admin of your organization to create one.</>
            )}
          </p>
        </Empty>
      )}
      {databases.length > 0 && (
        <div className="table-wrap">
          <table className="list">
            <caption className="visually-hidden">Databases of {session.organization.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Plan</th>
                <th scope="col">Size</th>
                <th scope="col">Worker groups</th>
                <th scope="col">Replicas</th>
                <th scope="col">Last backup</th>
              </tr>
            </thead>
            <tbody>
              {databases.map((database) => (
                <tr key={database.id}>
                  <td>
                    <Link to={`/databases/${database.id}`}>{database.name}</Link>
                    {database.parent_id && <span className="muted"> (restored copy)</span>}
                  </td>
                  <td>
                    <StateBadge state={database.state} />
                  </td>
                  <td>{database.plan}</td>
                  <td>
                    {bytes(database.storage_bytes)}
                    {database.storage_limit_gb ? <span className="muted"> of {database.storage_limit_gb} GB</span> : null}
                  </td>
                  <td>{database.worker_groups}</td>
                  <td>{database.replicas}</td>
                  <td>
                    <LastBackup database={database} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
