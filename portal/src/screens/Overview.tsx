// Overview.tsx — one database at a glance: health of every node (primary or
// replica, lag), the shard map over the worker groups (hot shards marked),
// storage against the plan, live charts of queries per second, latency and
// connections, and the recent events. Everything refreshes every few seconds.
import { useEffect, useRef, useState } from "react";
import { usePoll } from "../hooks";
import type { Database, Event, Metrics, Node, Shard } from "../types";
import { Card, Empty, ErrorNote, Link, ProgressBar } from "../components/ui";
import { LiveChart } from "../components/LiveChart";
import { bytes, when, words } from "../format";
import { DatabaseTitle } from "./DatabaseTitle";

const kPoints = 60;

type Series = { times: number[]; qps: number[]; latency: number[]; connections: number[] };

// useLiveMetrics turns the router's cumulative counters into rates between readings.
function useLiveMetrics(id: string, enabled: boolean) {
  const metrics = usePoll<{ metrics: Metrics }>(enabled ? `/v1/databases/${id}/metrics` : null, 2000);
  const previous = useRef<Metrics | null>(null);
  const [series, setSeries] = useState<Series>({ times: [], qps: [], latency: [], connections: [] });
  useEffect(() => {
    const now = metrics.data?.metrics;
    if (!now) return;
    const before = previous.current;
    previous.current = now;
    if (!before || before.at === now.at) return;
    const seconds = (new Date(now.at).getTime() - new Date(before.at).getTime()) / 1000;
    if (seconds <= 0) return;
    const transactions = Math.max(0, now.transactions_total - before.transactions_total);
    const time = Math.max(0, now.statement_time_ms_total - before.statement_time_ms_total);
    setSeries((old) => ({
      times: [...old.times, new Date(now.at).getTime() / 1000].slice(-kPoints),
      qps: [...old.qps, transactions / seconds].slice(-kPoints),
      latency: [...old.latency, transactions > 0 ? time / transactions : 0].slice(-kPoints),
      connections: [...old.connections, now.connections].slice(-kPoints),
    }));
  }, [metrics.data]);
  return { series, error: metrics.error };
}

function NodeHealth({ nodes }: { nodes: Node[] }) {
  const groups = new Map<number, Node[]>();
  for (const node of nodes) {
    const group = node.group_id ?? 0;
    groups.set(group, [...(groups.get(group) ?? []), node]);
  }
  const healthy = [...groups.values()].every((members) => members.some((node) => node.role === "primary" && node.reachable !== false && node.state !== "down"));
  return (
    <>
      <p className={healthy ? "health ok" : "health bad"} data-testid="health-summary" aria-live="polite">
        {healthy ? "Healthy: every group has a primary that answers." : "Degraded: a group has no primary that answers; shaled is failing over."}
      </p>
      <div className="node-groups">
        {[...groups.entries()]
          .sort(([a], [b]) => a - b)
          .map(([group, members]) => (
            <div key={group} className="node-group" aria-label={group === 0 ? "Router group" : `Worker group ${group}`}>
              <h3>{group === 0 ? "Router" : `Worker group ${group}`}</h3>
              <ul>
                {members.map((node) => {
                  const up = node.reachable !== false && node.state !== "down";
                  return (
                    <li key={node.node_id} className={up ? "node up" : "node down"} data-testid={`node-${node.node_id}`}>
                      <span className="node-dot" aria-hidden="true" />
                      <span>
                        node {node.node_id} · <strong>{node.role}</strong> · {up ? "up" : "down"}
                        {node.port ? ` · :${node.port}` : ""}
                        {node.role !== "primary" && node.lag_bytes !== undefined && node.lag_bytes !== null ? ` · lag ${bytes(node.lag_bytes)}` : ""}
                      </span>
                    </li>
                  );
                })}
              </ul>
            </div>
          ))}
      </div>
    </>
  );
}

function ShardMap({ shards, groups }: { shards: Shard[]; groups: number }) {
  if (shards.length === 0)
    return (
      <Empty title="No distributed table yet">
        <p>
          Shards appear here when you distribute a table: open <strong>Tables</strong>, or run{" "}
          <code>SELECT shale.distribute_table('orders', 'customer_id');</code> in psql.
        </p>
      </Empty>
    );
  // hot: at least twice its table's median shard size (and over 1 MB), where splits and moves help
  const byTable = new Map<string, number[]>();
  for (const shard of shards) byTable.set(shard.table_name, [...(byTable.get(shard.table_name) ?? []), shard.size_bytes ?? 0]);
  const median = new Map<string, number>();
  for (const [table, sizes] of byTable) median.set(table, [...sizes].sort((a, b) => a - b)[Math.floor(sizes.length / 2)]);
  const isHot = (shard: Shard) => (shard.size_bytes ?? 0) > 1e6 && (shard.size_bytes ?? 0) >= 2 * (median.get(shard.table_name) ?? 0);
  const groupIds = [...new Set([...Array.from({ length: groups }, (_, index) => index + 1), ...shards.map((shard) => shard.group_id)])].sort((a, b) => a - b);
  return (
    <div className="shard-map">
      {groupIds.map((group) => {
        const here = shards.filter((shard) => shard.group_id === group);
        const total = here.reduce((sum, shard) => sum + (shard.size_bytes ?? 0), 0);
        return (
          <div key={group} className="shard-group">
            <h3>
              Worker group {group} <span className="muted">· {here.length} shards · {bytes(total)}</span>
            </h3>
            <div className="shard-cells">
              {here.map((shard) => (
                <span
                  key={`${shard.shard_id}-${group}`}
                  className={isHot(shard) ? "shard hot" : "shard"}
                  title={`${shard.table_name} shard ${shard.shard_id}: ${bytes(shard.size_bytes)}${isHot(shard) ? " (hot)" : ""}`}
                >
                  {shard.table_name.replace(/^public\./, "")} {bytes(shard.size_bytes)}
                </span>
              ))}
            </div>
          </div>
        );
      })}
      <p className="hint">A shard marked hot holds at least twice its table's median: shaled splits or moves such shards by itself.</p>
    </div>
  );
}

export function OverviewScreen({ id }: { id: string }) {
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`, 3000);
  const ready = database.data?.database.state === "ready";
  const nodes = usePoll<{ nodes: Node[] }>(ready ? `/v1/databases/${id}/nodes` : null, 2000);
  const shards = usePoll<{ shards: Shard[] }>(ready ? `/v1/databases/${id}/shards` : null, 10000);
  const events = usePoll<{ events: Event[] }>(ready ? `/v1/databases/${id}/events?limit=15` : null, 2000);
  const live = useLiveMetrics(id, ready);
  const current = database.data?.database;
  const limitBytes = current?.storage_limit_gb ? current.storage_limit_gb * 1e9 : null;
  return (
    <>
      <DatabaseTitle database={current} section="Overview" />
      <ErrorNote error={database.error} title="Could not load the database" />
      {current && !ready && (
        <Empty title={`The database is ${current.state}`}>
          <p>
            {current.state === "creating" && "It is being created; this page fills in when it is ready."}
            {current.state === "failed" && `Its creation failed: ${current.error ?? "see Operations"}. Delete it under Settings to free the name.`}
            {(current.state === "deleted" || current.state === "deleting") && "It is deleted. Undelete it under Settings during the grace period."}
            {current.state === "undeleting" && "It is coming back."}
          </p>
          <p>
            <Link to={`/databases/${id}/operations`}>See its operations</Link>
          </p>
        </Empty>
      )}
      {ready && current && (
        <div className="grid">
          <Card title="Health">
            <ErrorNote error={nodes.error} title="Could not read the nodes" />
            {nodes.data && <NodeHealth nodes={nodes.data.nodes} />}
          </Card>
          <Card title="Activity (router, every 2 s)">
            <ErrorNote error={live.error} title="Could not read the activity" />
            <div className="charts">
              <LiveChart title="Queries per second" unit="/s" times={live.series.times} values={live.series.qps} />
              <LiveChart title="Latency" unit="ms" times={live.series.times} values={live.series.latency} />
              <LiveChart title="Connections" unit="" times={live.series.times} values={live.series.connections} />
            </div>
          </Card>
          <Card title="Storage">
            <p>
              {bytes(current.storage_bytes)} used{limitBytes ? ` of ${current.storage_limit_gb} GB on the ${current.plan} plan` : " (no limit on this plan)"}
            </p>
            {limitBytes && <ProgressBar value={((current.storage_bytes ?? 0) / limitBytes) * 100} label="Storage used against the plan's limit" />}
          </Card>
          <Card title="Shards over worker groups">
            <ErrorNote error={shards.error} title="Could not read the shards" />
            {shards.data && <ShardMap shards={shards.data.shards} groups={current.worker_groups} />}
          </Card>
          <Card title="Recent events" actions={<Link to={`/databases/${id}/operations`}>All operations and events</Link>}>
            <ErrorNote error={events.error} title="Could not read the events" />
            {events.data && events.data.events.length === 0 && <p>No event yet: failovers, rejoins and shard moves show here.</p>}
            <ul className="events" data-testid="recent-events">
              {[...(events.data?.events ?? [])].reverse().map((event) => (
                <li key={event.event_id} className={`event event-${event.kind}`}>
                  <span className="event-kind">{words(event.kind)}</span> <span className="muted">{when(event.happened_at)}</span>
                  {event.group_id !== undefined && event.group_id !== null && <> · group {event.group_id}</>}
                  {event.node_id !== undefined && event.node_id !== null && <> · node {event.node_id}</>}
                  {event.detail && <span className="event-detail"> · {event.detail}</span>}
                </li>
              ))}
            </ul>
          </Card>
        </div>
      )}
    </>
  );
}
