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

finish_checks "multinode failover_worker"
