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

check_failover_under_writes 0 "router"
check "shaled is active again" "1" \
  "$(uri_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 7415368001 % 4294967296")"

# planned switchover back to the first router node
"$SHALE_BIN" switchover --dir "$CLUSTER_DIR" --group 0 >"$work/switchover.out" 2>&1 || cat "$work/switchover.out"
check "switchover moved the router primary back" "$old_port" "$(primary_port 0)"
check "switchover: the other node is a replica" "t" "$(port_sql "$new_port" "SELECT pg_is_in_recovery()" 2>&1)"
check "writes work after the switchover" "1" "$(uri_sql "INSERT INTO writes VALUES (-1, now()) RETURNING 1")"
check "no prepared transaction left" "0" "$(prepared_count "$(primary_port 1)")"

finish_checks "multinode failover_router"
