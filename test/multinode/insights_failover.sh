#!/usr/bin/env bash
# insights_failover.sh — the insights history survives a router failover
# (docs/insights.md): it is a table on the router primary, replicated with it.
# A kill -9 of the router primary loses the router's own statistics (they are
# in its shared memory), but `shale insights --window` still counts every call
# of the last snapshot, and the calls after the failover add to them; the new
# primary's shaled keeps taking snapshots.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"
export SHALE_INSIGHTS_INTERVAL_S=5  # shaled snapshots every 5 s
with_test_cluster insights_failover --workers 1 --replicas 1

insights() { "$SHALE_BIN" insights --dir "$CLUSTER_DIR" "$@"; }
point='SELECT total FROM orders WHERE id = $1'
window_calls() {
  insights --window 1h --json --limit 1000 |
    "$PYTHON" -c "import json,sys; print(sum(p['calls'] for p in json.load(sys.stdin)['patterns'] if p['query'] == sys.argv[1]))" "$point"
}
uri_sql "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)"
uri_sql "SELECT shale.distribute_table('orders', 'id')" >/dev/null
uri_sql "INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g"
for i in $(seq 1 120); do echo "SELECT total FROM orders WHERE id = $i;"; done >"$work/workload.sql"
psql "$CLUSTER_URI" -X -q -f "$work/workload.sql" >/dev/null
insights snapshot >/dev/null
check "before the failover: 120 calls in the window" "120" "$(window_calls)"

old_port=$(primary_port 0)
kill_postmaster "$old_port" >/dev/null
wait_for_sql "SELECT port <> $old_port FROM shale.nodes WHERE group_id = 0 AND role = 'primary'" t 60 ||
  echo "# the router did not fail over in 60 s"
check "the router replica took over" "t" "$(uri_sql "SELECT port <> $old_port FROM shale.nodes WHERE group_id = 0 AND role = 'primary'")"
check "the new router's statistics start empty" "0" \
  "$(uri_sql "SELECT count(*) FROM shale.query_stats WHERE query = 'SELECT total FROM orders WHERE id = \$1'")"
check "the history survived: still 120 calls in the window" "120" "$(window_calls)"
psql "$CLUSTER_URI" -X -q -f "$work/workload.sql" >/dev/null
check "calls after the failover add to the history" "240" "$(window_calls)"
snapshot_before=$(uri_sql "SELECT value FROM shale_insights.state WHERE key = 'snapshot_at'")
wait_for_sql "SELECT value <> '$snapshot_before' FROM shale_insights.state WHERE key = 'snapshot_at'" t 30 || true
check "shaled snapshots on the new primary" "t" \
  "$(uri_sql "SELECT value <> '$snapshot_before' FROM shale_insights.state WHERE key = 'snapshot_at'")"
check "after its snapshot each call is counted once" "240" "$(window_calls)"

finish_checks "multinode insights failover"
