#!/usr/bin/env bash
# failover_worker.sh — kill -9 of a worker primary under a write load: shaled
# promotes the replica and switches the catalog; every acknowledged commit is
# still there, writes resume through the same URI, the old primary comes back
# only as a replica (pg_rewind), and no prepared transaction is left behind.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"

with_test_cluster failover_worker --workers 2 --replicas 1
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null

old_port=$(primary_port 1)
start_writer writes "$work"
wait_for_acks 50 20 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }

killed_at=$(kill_postmaster "$old_port")
echo "# killed the group 1 primary (port $old_port)"
wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = 1" 1 30 || true
acks_at_promotion=$(ack_count)
wait_for_acks $((acks_at_promotion + 100)) 20 || true
stop_writer
resumed_at=$(first_ack_after "$killed_at")
if [ -n "$resumed_at" ]; then
  echo "# kill -9 -> first acknowledged write after the outage: $("$PYTHON" -c "print(round($resumed_at - $killed_at, 2))") s"
fi

new_port=$(primary_port 1)
check "a replica became the primary of group 1" "yes" "$([ "$new_port" != "$old_port" ] && echo yes || echo no)"
check "every acknowledged commit is present" "0" "$(missing_acked_rows writes)"
check "writes resumed after the failover" "yes" "$([ -n "$resumed_at" ] && echo yes || echo no)"
check "failover in under 8 s" "yes" \
  "$("$PYTHON" -c "print('yes' if '$resumed_at' and float('$resumed_at') - $killed_at < 8 else 'no')")"
check "events suspected, fenced, promoted recorded in order" "suspected fenced promoted" \
  "$(uri_sql "SELECT string_agg(kind, ' ' ORDER BY event_id) FROM shale.event
              WHERE group_id = 1 AND kind IN ('suspected', 'fenced', 'promoted')")"

# The old primary comes back only as a replica (rewound by shaled).
old_node=$(uri_sql "SELECT node_id FROM shale.nodes WHERE port = $old_port")
wait_for_sql "SELECT count(*) FROM shale.event WHERE node_id = $old_node AND kind IN ('rejoined', 'rejoin_failed')" 1 60 || true
check "the old primary rejoined" "rejoined" \
  "$(uri_sql "SELECT kind FROM shale.event WHERE node_id = $old_node AND kind IN ('rejoined', 'rejoin_failed')")"
check "the old primary is a replica in the catalog" "replica" "$(uri_sql "SELECT role FROM shale.nodes WHERE port = $old_port")"
check "the old primary runs in recovery" "t" "$(port_sql "$old_port" "SELECT pg_is_in_recovery()" 2>&1)"
check "the old primary refuses writes" "read-only" \
  "$(port_sql "$old_port" "CREATE TABLE split_brain (x int)" 2>&1 | grep -o 'read-only' | head -n 1)"
check "group 1 is synchronous again" "ANY 1" \
  "$(port_sql "$new_port" "SHOW synchronous_standby_names" | cut -c1-5)"
check "a write to every group works" "20" \
  "$(uri_sql "INSERT INTO writes SELECT g, now() FROM generate_series(-20, -1) g RETURNING 1" | wc -l)"
check "no prepared transaction left" "0 0" \
  "$(prepared_count "$(primary_port 1)") $(prepared_count "$(primary_port 2)")"
check "shale status shows the new roles" "primary" \
  "$("$SHALE_BIN" status --dir "$CLUSTER_DIR" | awk -v p="$new_port" '$0 ~ p {print}' | grep -o primary | head -n 1)"

finish_checks "multinode failover_worker"
