#!/usr/bin/env bash
# partition_worker_host.sh — a cluster over three hosts (network namespaces, one
# `shale agent` each), then the host of a worker primary cut off by nft while a
# client writes: the replica on another host is promoted, the cut-off primary
# stops accepting writes (its agent fences it when shaled's lease runs out and
# it reaches no majority of hosts; checked from inside its namespace), and after
# the partition heals the old primary rejoins as a replica (pg_rewind through
# its agent). No acknowledged commit is lost. Also: the agents refuse requests
# without their token or without TLS, and an agent restart touches no server.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/failover.sh
source test/lib/netns_hosts.sh
AGENT_PORT=33100
NODE_PORT=33200
source test/lib/partition_hosts.sh
trap partition_cleanup EXIT

partition_hosts_up shagt 10.233.7
agent1="https://$(host_address 1):$AGENT_PORT"

check "an agent refuses a request without its token" 401 \
  "$(curl -sk -o /dev/null -w '%{http_code}' "$agent1/v1/status")"
check "an agent refuses a wrong token" 401 \
  "$(curl -sk -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer shagent_wrong_token_0123456789' "$agent1/v1/status")"
check "an agent refuses plain HTTP" 000 \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$(host_address 1):$AGENT_PORT/v1/status" || true)"

partition_cluster_up

check_contains "the URI names the router nodes on their hosts" "@$(host_address 1):$NODE_PORT,$(host_address 2):$((NODE_PORT + 1))/" "$CLUSTER_URI"
check "no node trusts TCP connections" 0 "$(cat "$work"/agent*/nodes/*/pg_hba.conf | grep -v '^#' | grep -c trust || true)"
check "every agent keeps the cluster's password (one DIR/pgpass scheme)" 3 \
  "$(for i in 1 2 3; do grep -v '^#' "$work/agent$i/pgpass"; done | grep -cxF "$(grep -v '^#' "$work/cluster/pgpass")")"
scram_nodes=0
while IFS='|' read -r node_host node_port; do
  [ "$(psql "host=$node_host port=$node_port user=postgres dbname=postgres connect_timeout=3" -XAtc \
      "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'postgres'")" = 'SCRAM-SHA-256$' ] &&
    scram_nodes=$((scram_nodes + 1))
done < <(uri_sql "SELECT host, port FROM shale.nodes")
check "the superuser of all 6 nodes has a SCRAM-SHA-256 password" 6 "$scram_nodes"
check_contains "a connection without the password is refused" "no password supplied" \
  "$(PGPASSFILE=/dev/null psql "host=$(host_address 1) port=$NODE_PORT user=postgres dbname=postgres connect_timeout=3" -w -Atc 'SELECT 1' 2>&1 || true)"
status=$("$SHALE_BIN" status --dir "$work/cluster" || true)
echo "$status"
check "shale status lists the three hosts as up" 3 "$(echo "$status" | grep -c "^$HOSTS_SUBNET\.1[123]:$AGENT_PORT  *up")"
# placement: no group has two members on one host, primaries on three different hosts
check "placement keeps every group's members on different hosts" 0 \
  "$(uri_sql "SELECT count(*) FROM (SELECT group_id, host FROM shale.nodes GROUP BY 1, 2 HAVING count(*) > 1) x")"
check "primaries are spread over the hosts" 3 "$(uri_sql "SELECT count(DISTINCT host) FROM shale.nodes WHERE role = 'primary'")"

# an agent restart leaves its servers running
router_pid=$(head -n 1 "$work/agent1/nodes/router-primary/postmaster.pid")
kill "${AGENT_PID[1]}"; wait "${AGENT_PID[1]}" 2>/dev/null || true
start_agent 1
check "the router primary kept running over an agent restart" "$router_pid" \
  "$(head -n 1 "$work/agent1/nodes/router-primary/postmaster.pid")"

uri_sql "ALTER SYSTEM SET shale.auto_scaling = off" >/dev/null
uri_sql "SELECT pg_reload_conf()" >/dev/null
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null

# the host of group 1's primary
old_port=$(primary_port 1)
old_host=$(uri_sql "SELECT host FROM shale.nodes WHERE group_id = 1 AND role = 'primary'")
old_node=$(uri_sql "SELECT node_id FROM shale.nodes WHERE group_id = 1 AND role = 'primary'")
cut_host=$(( ${old_host##*.} - 10 ))
echo "# group 1's primary: node $old_node on host $cut_host ($old_host:$old_port)"
start_writer writes "$work"
# a second client keeps one session open, as an application's pool does; its
# statements read group 1 too
"$PYTHON" test/lib/pooled_client.py "$CLUSTER_URI" "SELECT count(*) FROM writes" "$work/pooled.log" "$work/stop" &
POOLED_PID=$!
wait_for_acks 50 30 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }

cut_at=$(date +%s.%N)
host_cut "$cut_host"
echo "# cut host $cut_host off at $cut_at"
# from inside the cut-off host
probe_cut_primary "$cut_host" "$old_host" "$old_port"
check "the cut-off old primary stopped accepting connections (seen from its own host)" yes "$([ -n "$fenced_at" ] && echo yes || echo no)"
[ -n "$fenced_at" ] && echo "# old primary fenced by its agent $(seconds_between "$cut_at" "$fenced_at") s after the cut"
wait_for_fence_record "$cut_host" group1-primary
check_contains "its agent fenced it because the lease ran out" "lease expired" "$(cat "$work/agent$cut_host.log")"
check "the fenced old primary holds standby.signal" yes \
  "$([ -f "$work/agent$cut_host/nodes/group1-primary/standby.signal" ] && echo yes || echo no)"

wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = 1" 1 60 || true
promoted_at=$(date +%s.%N)
new_port=$(primary_port 1)
check "a replica on another host was promoted" yes "$([ "$new_port" != "$old_port" ] && echo yes || echo no)"
acks_at_promotion=$(ack_count)
wait_for_acks $((acks_at_promotion + 100)) 30 || true
resumed_at=$(first_ack_after "$cut_at")
echo "# promoted event seen $(seconds_between "$cut_at" "$promoted_at") s after the cut; writes resumed $(seconds_between "$cut_at" "${resumed_at:-$cut_at}") s after the cut"
check "writes resumed" yes "$([ -n "$resumed_at" ] && echo yes || echo no)"
check "the cut-off primary acknowledged no write" no "$acknowledged_on_cut_host"

host_heal "$cut_host"
echo "# healed host $cut_host"
wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'rejoined' AND node_id = $old_node" 1 90 || true
check "the old primary rejoined as a replica after the partition healed" 1 \
  "$(uri_sql "SELECT count(*) FROM shale.event WHERE kind = 'rejoined' AND node_id = $old_node")"
check "what the cut-off primary wrote without acknowledgement was rewound away" 0 \
  "$(psql "host=$old_host port=$old_port user=postgres dbname=postgres connect_timeout=3" -XAtc \
     "SELECT count(*) FROM pg_class WHERE relname = 'split_brain_probe'" 2>&1)"
check "it runs in recovery" t \
  "$(psql "host=$old_host port=$old_port user=postgres dbname=postgres connect_timeout=3" -XAtc 'SELECT pg_is_in_recovery()' 2>&1)"
stop_writer
WRITER_PID=""
wait "$POOLED_PID" 2>/dev/null || true
longest=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { printf "%.1f", m }' "$work/pooled.log")
echo "# pooled session: $(wc -l <"$work/pooled.log") statements, $(grep -c ' error$' "$work/pooled.log" || true) errors, longest ${longest} s"
# the bound: shale.network_timeout (10 s) for a statement on the cut-off worker, plus the failover
check "no statement of the pooled session waited beyond 15 s" yes \
  "$(awk '$2 > 15 { bad = 1 } END { print bad ? "no" : "yes" }' "$work/pooled.log")"
check "the pooled session's statements succeed again after the failover" ok \
  "$(awk -v t="$promoted_at" '$1 > t + 5 { last = $3 } END { print last }' "$work/pooled.log")"
check "no acknowledged commit was lost ($(ack_count) acknowledged)" 0 "$(missing_acked_rows writes)"
uri_sql "SELECT to_char(happened_at, 'HH24:MI:SS.MS'), kind, group_id, node_id, left(detail, 150) FROM shale.event
         WHERE kind IN ('suspected', 'fenced', 'promoted', 'degraded', 'rejoined') ORDER BY event_id" | sed 's/^/#   /'

"$SHALE_BIN" down --dir "$work/cluster" >/dev/null
check "shale down stopped every node through the agents" 0 \
  "$(ls "$work"/agent*/nodes/*/postmaster.pid 2>/dev/null | wc -l)"
finish_checks partition_worker_host
