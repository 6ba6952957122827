// Operations.tsx — operations (creations, deletions, backups, restores, ...) and,
// for one database, its cluster's events (failovers, rejoins, shard moves and
// splits) on one timeline, newest first; running operations with progress bars.
import { usePoll } from "../hooks";
import type { Database, Event, Operation } from "../types";
import { Card, Empty, ErrorNote, Link, ProgressBar, StateBadge, Steps } from "../components/ui";
import { duration, when, words } from "../format";
import { DatabaseTitle } from "./DatabaseTitle";

type Entry = { at: string; key: string; operation?: Operation; event?: Event };

export function OperationsScreen({ databaseId }: { databaseId: string | null }) {
  const operations = usePoll<{ operations: Operation[] }>(`/v1/operations?limit=50${databaseId ? `&database_id=${databaseId}` : ""}`, 2000);
  const database = usePoll<{ database: Database }>(databaseId ? `/v1/databases/${databaseId}` : null);
  const ready = database.data?.database.state === "ready";
  const events = usePoll<{ events: Event[] }>(databaseId && ready ? `/v1/databases/${databaseId}/events?limit=50` : null, 2000);
  const names = usePoll<{ databases: Database[] }>(databaseId ? null : "/v1/databases?include_deleted=true", 10000);
  const nameOf = (id: string | null) => names.data?.databases.find((candidate) => candidate.id === id)?.name ?? id ?? "";

  const entries: Entry[] = [
    ...(operations.data?.operations ?? []).map((operation) => ({ at: operation.created_at ?? "", key: operation.id, operation })),
    ...(events.data?.events ?? []).map((event) => ({ at: event.happened_at ?? "", key: `event-${event.event_id}`, event })),
  ].sort((a, b) => (a.at < b.at ? 1 : -1));
  const running = (operations.data?.operations ?? []).filter((operation) => operation.state === "running" || operation.state === "pending");

  return (
    <>
      {databaseId ? (
        <DatabaseTitle database={database.data?.database} section="Operations and events" />
      ) : (
        <div className="page-head">
          <h1>Operations</h1>
        </div>
      )}
      <ErrorNote error={operations.error ?? events.error} title="Could not load the timeline" />
      {running.length > 0 && (
        <Card title="Running now">
          <ul className="operations">
            {running.map((operation) => (
              <li key={operation.id}>
                <strong>{words(operation.kind)}</strong> {!databaseId && <>of {nameOf(operation.database_id)} </>}
                <StateBadge state={operation.state} /> {operation.progress} %
                <ProgressBar value={operation.progress} label={`${words(operation.kind)} progress`} />
                <Steps steps={operation.steps} />
              </li>
            ))}
          </ul>
          <p className="hint">Operations run to the end; none of the kinds the API has today can be cancelled half-way (a failed creation cleans up after itself).</p>
        </Card>
      )}
      {operations.data && entries.length === 0 && (
        <Empty title="Nothing happened yet">
          <p>Creations, backups, restores, failovers and shard moves show here as they happen.</p>
        </Empty>
      )}
      {entries.length > 0 && (
        <Card title="Timeline">
          <ol className="timeline" data-testid="timeline">
            {entries.map((entry) =>
              entry.operation ? (
                <li key={entry.key} className="timeline-operation">
                  <span className="muted">{when(entry.at)}</span> <strong>{words(entry.operation.kind)}</strong>
                  {!databaseId && (
                    <>
                      {" "}
                      of <Link to={`/databases/${entry.operation.database_id}`}>{nameOf(entry.operation.database_id)}</Link>
                    </>
                  )}{" "}
                  <StateBadge state={entry.operation.state} /> <span className="muted">{duration(entry.operation.started_at, entry.operation.finished_at)}</span>
                  {entry.operation.attempt > 1 && <span className="muted"> · attempt {entry.operation.attempt}</span>}
                  {entry.operation.error && <div className="step-error">{entry.operation.error}</div>}
                </li>
              ) : (
                <li key={entry.key} className={`timeline-event event-${entry.event!.kind}`}>
                  <span className="muted">{when(entry.at)}</span> <strong>{words(entry.event!.kind)}</strong>
                  {entry.event!.group_id !== null && entry.event!.group_id !== undefined && <> · group {entry.event!.group_id}</>}
                  {entry.event!.node_id !== null && entry.event!.node_id !== undefined && <> · node {entry.event!.node_id}</>}
                  {entry.event!.detail && <> · {entry.event!.detail}</>}
                </li>
              ),
            )}
          </ol>
        </Card>
      )}
    </>
  );
}
