#!/usr/bin/env bash
# failover_flapping.sh — nodes that go down and come back again and again,
# under a write load that records every acknowledged commit:
#   1. the replica of a worker group is killed and started three times: no
#      failover, writes go on, synchronous replication comes back each time;
#   2. the primary is killed, fails over, the old primary rejoins as a replica,
#      and then the new primary is killed too: the group fails back to the node
#      that rejoined. At the end there is one primary, every acknowledged
#      commit is there and no prepared transaction is left.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"

with_test_cluster failover_flapping --workers 1 --replicas 1
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null
start_writer writes "$work"
wait_for_acks 50 20 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }
event_count() { uri_sql "SELECT count(*) FROM shale.event WHERE kind = '$1' AND group_id = 1"; }

# ---------------------------------------------------------------- 1. a flapping replica
replica=$(uri_sql "SELECT port FROM shale.nodes WHERE group_id = 1 AND role = 'replica'")
replica_dir=$(data_dir_of_port "$replica")
for round in 1 2 3; do
  restored_before=$(event_count synchronous_restored)
  kill_postmaster "$replica" >/dev/null
  wait_for_sql "SELECT count(*) >= $round FROM shale.event WHERE kind = 'degraded' AND group_id = 1" t 30 || true
  # the killed server's backends exit when they notice; until then its shared memory blocks a start
  started=no
  for attempt in $(seq 1 20); do
    if pg_ctl_as_owner start -w -D "$replica_dir" -l "$CLUSTER_DIR/logs/group1-replica1.log" >/dev/null 2>&1; then
      started=yes
      break
    fi
    sleep 0.5
  done
  [ "$started" = yes ] || { echo "# the replica does not start again:"; tail -5 "$CLUSTER_DIR/logs/group1-replica1.log"; }
  wait_for_sql "SELECT count(*) > $restored_before FROM shale.event WHERE kind = 'synchronous_restored' AND group_id = 1" t 30 || true
  acks=$(ack_count)
  wait_for_acks $((acks + 20)) 20 || true
  echo "# replica flap $round: $(ack_count) commits acknowledged so far"
done
check "a flapping replica: no failover" "0" "$(uri_sql "SELECT count(*) FROM shale.event WHERE kind IN ('suspected', 'promoted')")"
check "a flapping replica: synchronous replication came back after each return" "yes" \
  "$([ "$(event_count synchronous_restored)" -ge 3 ] && echo yes || echo "no: $(event_count synchronous_restored)")"

# ---------------------------------------------------------------- 2. a flapping primary
first_primary=$(primary_port 1)
kill_postmaster "$first_primary" >/dev/null
wait_for_sql "SELECT port <> $first_primary FROM shale.nodes WHERE group_id = 1 AND role = 'primary'" t 30 || true
wait_cluster_healthy 60 || echo "# the group did not become whole again after the first failover"
second_primary=$(primary_port 1)
check "primary flap 1: the replica took over" "yes" "$([ "$second_primary" != "$first_primary" ] && echo yes || echo no)"
check "primary flap 1: the old primary rejoined as a replica" "t" "$(port_sql "$first_primary" "SELECT pg_is_in_recovery()")"
acks=$(ack_count)
wait_for_acks $((acks + 20)) 20 || true

kill_postmaster "$second_primary" >/dev/null
wait_for_sql "SELECT port FROM shale.nodes WHERE group_id = 1 AND role = 'primary'" "$first_primary" 30 || true
wait_cluster_healthy 60 || echo "# the group did not become whole again after the second failover"
check "primary flap 2: the group failed back to the rejoined node" "$first_primary" "$(primary_port 1)"
check "primary flap 2: the other node is a replica now" "t" "$(port_sql "$second_primary" "SELECT pg_is_in_recovery()")"
acks=$(ack_count)
wait_for_acks $((acks + 20)) 20 || true
stop_writer

check "one primary in the group" "1" "$(uri_sql "SELECT count(*) FROM shale.nodes WHERE group_id = 1 AND role = 'primary'")"
check "exactly one node of the group accepts writes" "1" \
  "$(for port in $first_primary $second_primary; do port_sql "$port" "SELECT NOT pg_is_in_recovery()"; done | grep -c t)"
check "two promotions, one per primary kill" "2" "$(event_count promoted)"
check "every acknowledged commit is present" "0" "$(missing_acked_rows writes)"
check "no prepared transaction left" "0" "$(prepared_count "$(primary_port 1)")"
echo "# $(ack_count) commits acknowledged in all"

finish_checks "multinode failover_flapping"
