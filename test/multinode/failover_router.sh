#!/usr/bin/env bash
# failover_router.sh — kill -9 of the router primary under a write load through
# the multi-host URI: shaled promotes the router replica, records the switch in
# the catalog on it, and reconnects; every acknowledged commit is there, writes
# resume through the same URI, the old router primary rejoins as a replica.
# Then `shale switchover --group 0` moves the router back by plan.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"

with_test_cluster failover_router --workers 1 --replicas 1
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null

old_port=$(primary_port 0)
start_writer writes "$work"
wait_for_acks 50 20 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }

killed_at=$(kill_postmaster "$old_port")
echo "# killed the router primary (port $old_port)"
wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = 0" 1 30 || true
acks_at_promotion=$(ack_count)
wait_for_acks $((acks_at_promotion + 100)) 20 || true
stop_writer
resumed_at=$(first_ack_after "$killed_at")
if [ -n "$resumed_at" ]; then
  echo "# kill -9 -> first acknowledged write after the outage: $("$PYTHON" -c "print(round($resumed_at - $killed_at, 2))") s"
fi

new_port=$(primary_port 0)
check "the router replica became the router primary" "yes" "$([ "$new_port" != "$old_port" ] && echo yes || echo no)"
check "every acknowledged commit is present" "0" "$(missing_acked_rows writes)"
check "writes resumed through the same URI" "yes" "$([ -n "$resumed_at" ] && echo yes || echo no)"
check "failover in under 8 s" "yes" \
  "$("$PYTHON" -c "print('yes' if '$resumed_at' and float('$resumed_at') - $killed_at < 8 else 'no')")"
check "events suspected, fenced, promoted recorded" "suspected fenced promoted" \
  "$(uri_sql "SELECT string_agg(kind, ' ' ORDER BY event_id) FROM shale.event
              WHERE group_id = 0 AND kind IN ('suspected', 'fenced', 'promoted')")"
old_node=$(uri_sql "SELECT node_id FROM shale.nodes WHERE port = $old_port")
wait_for_sql "SELECT count(*) FROM shale.event WHERE node_id = $old_node AND kind IN ('rejoined', 'rejoin_failed')" 1 60 || true
check "the old router primary rejoined" "rejoined" \
  "$(uri_sql "SELECT kind FROM shale.event WHERE node_id = $old_node AND kind IN ('rejoined', 'rejoin_failed')")"
check "the old router primary runs in recovery" "t" "$(port_sql "$old_port" "SELECT pg_is_in_recovery()" 2>&1)"
check "shaled is active again" "1" \
  "$(uri_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 7415368001 % 4294967296")"

# planned switchover back to the first router node
"$SHALE_BIN" switchover --dir "$CLUSTER_DIR" --group 0 >"$work/switchover.out" 2>&1 || cat "$work/switchover.out"
check "switchover moved the router primary back" "$old_port" "$(primary_port 0)"
check "switchover: the other node is a replica" "t" "$(port_sql "$new_port" "SELECT pg_is_in_recovery()" 2>&1)"
check "writes work after the switchover" "1" "$(uri_sql "INSERT INTO writes VALUES (-1, now()) RETURNING 1")"
check "no prepared transaction left" "0" "$(prepared_count "$(primary_port 1)")"

finish_checks "multinode failover_router"
