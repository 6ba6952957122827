#!/usr/bin/env bash
# failover_worker.sh — kill -9 of a worker primary under a write load: shaled
# promotes the replica and switches the catalog; every acknowledged commit is
# still there, writes resume through the same URI, the old primary comes back
# only as a replica (pg_rewind), and no prepared transaction is left behind;
# once stopped while its primary recycled WAL, it catches up from the archive.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"

with_test_cluster failover_worker --workers 2 --replicas 1
uri_sql "CREATE TABLE writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL)"
uri_sql "SELECT shale.distribute_table('writes', 'id')" >/dev/null

check_failover_under_writes 1 "group 1"
check "the old primary is a replica in the catalog" "replica" "$(uri_sql "SELECT role FROM shale.nodes WHERE port = $old_port")"
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


# After a failover replicas stream without replication slots: a replica that was away while its
# primary recycled the WAL it needs fetches that WAL from the group's archive (restore_command).
port_sql "$new_port" "ALTER SYSTEM SET wal_keep_size = 0" && port_sql "$new_port" "SELECT pg_reload_conf()" >/dev/null
needed_wal=$(port_sql "$new_port" "SELECT pg_walfile_name(pg_current_wal_lsn())")
pg_ctl_as_owner stop -D "$(data_dir_of_port "$old_port")" -m fast -w >/dev/null
for round in 1 2 3 4; do
  uri_sql "INSERT INTO writes SELECT g, now() FROM generate_series($((round * 1000)), $((round * 1000 + 999))) g" >/dev/null
  port_sql "$new_port" "SELECT pg_switch_wal()" >/dev/null
done
port_sql "$new_port" "CHECKPOINT"
wal_kept() { port_sql "$new_port" "SELECT count(*) FROM pg_ls_waldir() WHERE name = '$needed_wal'"; }
started=$SECONDS
while [ "$(wal_kept)" != 0 ] && [ $((SECONDS - started)) -lt 20 ]; do
  port_sql "$new_port" "CHECKPOINT"
  sleep 0.5
done
check "the new primary no longer holds the WAL the stopped replica needs" "0" "$(wal_kept)"
pg_ctl_as_owner start -D "$(data_dir_of_port "$old_port")" -l "$CLUSTER_DIR/logs/rejoined-replica.log" -w >/dev/null
target_lsn=$(port_sql "$new_port" "SELECT pg_current_wal_lsn()")
caught_up() { port_sql "$old_port" "SELECT pg_last_wal_replay_lsn() >= '$target_lsn'" 2>/dev/null; }
started=$SECONDS
while [ "$(caught_up)" != t ] && [ $((SECONDS - started)) -lt 30 ]; do sleep 0.5; done
check "the replica caught up" "t" "$(caught_up)"
check_contains "it read WAL from the archive" "from archive" "$(cat "$CLUSTER_DIR/logs/rejoined-replica.log")"
check "it streams again" "streaming" \
  "$(port_sql "$new_port" "SELECT state FROM pg_stat_replication LIMIT 1")"
port_sql "$new_port" "ALTER SYSTEM RESET wal_keep_size" && port_sql "$new_port" "SELECT pg_reload_conf()" >/dev/null

finish_checks "multinode failover_worker"
