#!/usr/bin/env bash
# failover_no_false.sh — a primary that is merely slow is never failed over:
# 20 s of every CPU busy (two busy loops per core), heavy pgbench writes on the
# worker primary and a checkpoint in the middle; shaled must record no
# 'suspected' or 'promoted' event and the primary stays the same.
# (bench/failover/run repeats this for 60 s.)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"

LOAD_SECONDS=${LOAD_SECONDS:-20}
with_test_cluster failover_no_false --workers 1 --replicas 1
primary=$(primary_port 1)
pgbench -h 127.0.0.1 -p "$primary" -U postgres -i -s 5 -q postgres >"$work/pgbench-init.log" 2>&1
events_before=$(uri_sql "SELECT count(*) FROM shale.event WHERE kind IN ('suspected', 'fenced', 'promoted')")
primary_node=$(uri_sql "SELECT node_id FROM shale.nodes WHERE port = $primary")
down_before=$(uri_sql "SELECT count(*) FROM shale.event WHERE kind = 'node_down' AND node_id = $primary_node")

echo "# $LOAD_SECONDS s of full CPU load and heavy writes on the group 1 primary (port $primary)"
burners=()
for _ in $(seq 1 $(( $(nproc) * 2 ))); do
  timeout "$LOAD_SECONDS" bash -c 'while :; do :; done' &
  burners+=($!)
done
pgbench -h 127.0.0.1 -p "$primary" -U postgres -c 8 -j 2 -T "$LOAD_SECONDS" -n postgres >"$work/pgbench.log" 2>&1 &
pgbench_pid=$!
# sample shaled's check latency of the primary once a second during the load
( end=$((SECONDS + LOAD_SECONDS))
  while [ $SECONDS -lt $end ]; do
    uri_sql "SELECT coalesce(check_latency_ms, -1) FROM shale.node_health WHERE node_id = $primary_node" 2>/dev/null || true
    sleep 1
  done >"$work/latencies" ) &
sampler_pid=$!
sleep $((LOAD_SECONDS / 2))
port_sql "$primary" "CHECKPOINT"
wait "$pgbench_pid" || true
for pid in "${burners[@]}"; do wait "$pid" || true; done
wait "$sampler_pid" || true
sleep 3  # let shaled finish the round that ran during the load

check "no failover event during the load" "$events_before" \
  "$(uri_sql "SELECT count(*) FROM shale.event WHERE kind IN ('suspected', 'fenced', 'promoted')")"
check "the primary did not change" "$primary" "$(primary_port 1)"
check "pgbench committed transactions" "yes" \
  "$(grep -q 'number of transactions actually processed' "$work/pgbench.log" && echo yes || echo no)"
echo "# $(grep -E 'tps =' "$work/pgbench.log" | head -n 1)"
echo "# shaled's check of the primary during the load: $(sort -n "$work/latencies" | awk '{v[NR]=$1} END {printf "%d samples, median %.0f ms, max %.0f ms", NR, v[int((NR+1)/2)], v[NR]}')"
echo "# failed checks of the primary during the load (node_down events): $(( $(uri_sql "SELECT count(*) FROM shale.event WHERE kind = 'node_down' AND node_id = $primary_node") - down_before ))"

finish_checks "multinode failover_no_false"
