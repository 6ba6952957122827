#!/usr/bin/env bash
# partition_router_host.sh — a cluster over three hosts (network namespaces, one
# `shale agent` each), then the host of the ROUTER primary cut off by nft while a
# client writes through the multi-host URI: shaled (outside the cut) promotes the
# router replica on another host, the cut-off router primary is fenced by its own
# agent once shaled's lease runs out (checked from inside its namespace: it
# acknowledges no write), writes resume on the new router primary, and after the
# partition heals the old router primary rejoins as a replica. No acknowledged
# commit is lost. (Case 2 of issue 12; partition_worker_host.sh is case 1.)
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/failover.sh
source test/lib/netns_hosts.sh
AGENT_PORT=33300
NODE_PORT=33400
source test/lib/partition_hosts.sh
trap partition_cleanup EXIT

partition_hosts_up shagr 10.233.8
partition_cluster_up
# the application's side of the bound: a connect timeout and a TCP user timeout,
# so neither a new connection nor a statement on a vanished host waits for TCP's
# own minutes-long retries
CLUSTER_URI="$CLUSTER_URI&connect_timeout=2&tcp_user_timeout=3000&keepalives_idle=2&keepalives_interval=1&keepalives_count=2"
export CLUSTER_URI

uri_sql "ALTER SYSTEM SET shale.auto_scaling = off" >/dev/null
uri_sql "SELECT pg_reload_conf()" >/dev/null
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null

old_port=$(primary_port 0)
old_host=$(uri_sql "SELECT host FROM shale.nodes WHERE group_id = 0 AND role = 'primary'")
old_node=$(uri_sql "SELECT node_id FROM shale.nodes WHERE group_id = 0 AND role = 'primary'")
cut_host=$(( ${old_host##*.} - 10 ))
echo "# the router primary: node $old_node on host $cut_host ($old_host:$old_port)"
start_writer writes "$work"
wait_for_acks 50 30 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }

cut_at=$(date +%s.%N)
host_cut "$cut_host"
echo "# cut host $cut_host off at $cut_at"
probe_cut_primary "$cut_host" "$old_host" "$old_port"
check "the cut-off router primary stopped accepting connections (seen from its own host)" yes \
  "$([ -n "$fenced_at" ] && echo yes || echo no)"
[ -n "$fenced_at" ] && echo "# old router primary fenced by its agent $(seconds_between "$cut_at" "$fenced_at") s after the cut"
wait_for_fence_record "$cut_host" router-primary
check_contains "its agent fenced it because the lease ran out" "lease expired" "$(cat "$work/agent$cut_host.log")"
check "the fenced router primary holds standby.signal" yes \
  "$([ -f "$work/agent$cut_host/nodes/router-primary/standby.signal" ] && echo yes || echo no)"

wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = 0" 1 60 || true
promoted_at=$(date +%s.%N)
new_host=$(uri_sql "SELECT host FROM shale.nodes WHERE group_id = 0 AND role = 'primary'" || true)
check "the router replica on another host was promoted" yes \
  "$([ -n "$new_host" ] && [ "$new_host" != "$old_host" ] && echo yes || echo no)"
acks_at_promotion=$(ack_count)
wait_for_acks $((acks_at_promotion + 100)) 30 || true
resumed_at=$(first_ack_after "$cut_at")
echo "# promoted event seen $(seconds_between "$cut_at" "$promoted_at") s after the cut;" \
  "writes resumed $(seconds_between "$cut_at" "${resumed_at:-$cut_at}") s after the cut"
check "writes resumed through the URI" yes "$([ -n "$resumed_at" ] && echo yes || echo no)"
check "the cut-off router primary acknowledged no write" no "$acknowledged_on_cut_host"

host_heal "$cut_host"
echo "# healed host $cut_host"
wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'rejoined' AND node_id = $old_node" 1 90 || true
check "the old router primary rejoined as a replica after the partition healed" 1 \
  "$(uri_sql "SELECT count(*) FROM shale.event WHERE kind = 'rejoined' AND node_id = $old_node")"
check "it runs in recovery" t \
  "$(psql "host=$old_host port=$old_port user=postgres dbname=postgres connect_timeout=3" -XAtc 'SELECT pg_is_in_recovery()' 2>&1)"
check "what the cut-off router primary wrote without acknowledgement was rewound away" 0 \
  "$(psql "host=$old_host port=$old_port user=postgres dbname=postgres connect_timeout=3" -XAtc \
     "SELECT count(*) FROM pg_class WHERE relname = 'split_brain_probe'" 2>&1)"
stop_writer
WRITER_PID=""
check "no acknowledged commit was lost ($(ack_count) acknowledged)" 0 "$(missing_acked_rows writes)"
uri_sql "SELECT to_char(happened_at, 'HH24:MI:SS.MS'), kind, group_id, node_id, left(detail, 150) FROM shale.event
         WHERE kind IN ('suspected', 'fenced', 'promoted', 'degraded', 'rejoined') ORDER BY event_id" | sed 's/^/#   /'

"$SHALE_BIN" down --dir "$work/cluster" >/dev/null
check "shale down stopped every node through the agents" 0 \
  "$(ls "$work"/agent*/nodes/*/postmaster.pid 2>/dev/null | wc -l)"
finish_checks partition_router_host
