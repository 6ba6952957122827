#!/usr/bin/env bash
# failover_replica.sh — kill -9 of a worker group's only replica under a write
# load: with synchronous replication every commit of that group would wait
# forever, so shaled runs the primary without a synchronous standby ('degraded')
# and writes go on; no failover happens; when the replica is started again and
# streams, synchronous replication comes back ('synchronous_restored').
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"

with_test_cluster failover_replica --workers 1 --replicas 1
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null
primary=$(primary_port 1)
replica=$(uri_sql "SELECT port FROM shale.nodes WHERE group_id = 1 AND role = 'replica'")
replica_dir=$(data_dir_of_port "$replica")

start_writer writes "$work"
wait_for_acks 50 20 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }
killed_at=$(kill_postmaster "$replica")
echo "# killed the group 1 replica (port $replica)"
wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'degraded' AND group_id = 1" 1 30 || true
acks=$(ack_count)
wait_for_acks $((acks + 50)) 20 || true
check "writes go on without the replica" "yes" \
  "$("$PYTHON" -c "import sys; print('yes' if any(float(l.split()[1]) > $killed_at + 0.5 for l in open('$work/acks')) else 'no')")"
check "the primary runs without a synchronous standby" "" "$(port_sql "$primary" "SHOW synchronous_standby_names")"
check "no failover" "0" "$(uri_sql "SELECT count(*) FROM shale.event WHERE kind IN ('suspected', 'promoted')")"
check "shale status says the group is degraded" "DEGRADED: group 1" \
  "$("$SHALE_BIN" status --dir "$CLUSTER_DIR" | grep -o 'DEGRADED: group 1' || true)"

# the replica comes back (its orphaned backends exit first)
sleep 1
pg_ctl_as_owner start -w -D "$replica_dir" -l "$CLUSTER_DIR/logs/group1-replica1.log" >/dev/null
wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'synchronous_restored' AND group_id = 1" 1 30 || true
stop_writer
check "synchronous replication is back" "ANY 1" "$(port_sql "$primary" "SHOW synchronous_standby_names" | cut -c1-5)"
check "every acknowledged commit is present" "0" "$(missing_acked_rows writes)"
check "the primary did not change" "$primary" "$(primary_port 1)"

finish_checks "multinode failover_replica"
