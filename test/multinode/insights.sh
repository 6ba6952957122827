#!/usr/bin/env bash
# insights.sh — query insights measured at the router (docs/insights.md): a
# known workload makes known patterns: a router statement for a hot tenant, a
# fan-out filtering on a column that is not the distribution column, a failing
# statement; each shows up in shale.query_stats with its calls, errors, how it
# ran, its filter column and its tenants; shale.tenant_stats finds the hot
# tenant; percentiles lie within the client's own timings; a reset empties it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
with_test_cluster insights --workers 2 --replicas 0

router_sql "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, total numeric)"
router_sql "SELECT shale.distribute_table('orders', 'id')" >/dev/null
router_sql "INSERT INTO orders SELECT g, g % 50, CASE WHEN g % 10 = 0 THEN 'open' ELSE 'done' END, g FROM generate_series(1, 5000) g"
router_sql "SELECT shale.reset_query_stats()" >/dev/null

# the workload: one psql session, so timings are the router's and not psql's start-up
{
  for i in $(seq 1 200); do echo "SELECT total FROM orders WHERE id = 7;"; done           # hot tenant 7
  for i in $(seq 1 50); do echo "SELECT total FROM orders WHERE id = $((100 + i));"; done  # 50 other tenants
  for i in $(seq 1 30); do echo "SELECT count(*) FROM orders WHERE customer_id = $((i % 50));"; done  # fan-out
  for i in $(seq 1 5); do echo "SELECT total / 0 FROM orders WHERE id = 9;"; done          # errors
} >"$work/workload.sql"
psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q -f "$work/workload.sql" >/dev/null 2>"$work/errors.log" || true

stat() { router_sql "SELECT $1 FROM shale.query_stats WHERE query = '$2'"; }
point='SELECT total FROM orders WHERE id = $1'
fanout='SELECT count(*) FROM orders WHERE customer_id = $1'
failing='SELECT total / $1 FROM orders WHERE id = $2'

check "the point query is one pattern, constants as \$1" "250" "$(stat calls "$point")"
check "it ran on one shard" "single-shard" "$(stat ran_on "$point")"
check "it returned one row per call" "250" "$(stat rows "$point")"
check_contains "its busiest tenant is 7, with 200 statements" "7 (200)" "$(stat top_tenants "$point")"
check "the fan-out is one pattern with 30 calls" "30" "$(stat calls "$fanout")"
check "it ran on every shard" "multi-shard" "$(stat ran_on "$fanout")"
check "its filter column is kept as advice evidence" "orders.customer_id" \
  "$(router_sql "SELECT fanout_filter_table || '.' || fanout_filter_column FROM shale.query_stats WHERE query = '$fanout'")"
check "failing statements count as calls and errors" "5|5" "$(router_sql "SELECT calls || '|' || errors FROM shale.query_stats WHERE query = '$failing'")"
check "the client saw those 5 errors" "5" "$(grep -c 'division by zero' "$work/errors.log")"
check "percentiles are ordered" "t" "$(stat "p50_ms <= p95_ms AND p95_ms <= p99_ms AND p99_ms <= max_ms * 1.05 AND min_ms <= p50_ms * 1.05" "$point")"

# percentiles against the client's own timings: the router's time can only be shorter
client_median_ms=$(/usr/bin/python3 - "$ROUTER_PORT" <<'EOF'
import statistics, sys, time
import psycopg2
connection = psycopg2.connect(host="127.0.0.1", port=int(sys.argv[1]), dbname="postgres", user="postgres")
connection.autocommit = True
cursor = connection.cursor()
timings = []
for i in range(200):
    started = time.perf_counter()
    cursor.execute("SELECT status FROM orders WHERE id = %s AND total > -1" % (1000 + i))
    cursor.fetchall()
    timings.append((time.perf_counter() - started) * 1000)
print("%.3f" % statistics.median(timings))
EOF
)
router_median_ms=$(router_sql "SELECT p50_ms FROM shale.query_stats WHERE query = 'SELECT status FROM orders WHERE id = \$1 AND total > \$2'")
echo "# client median ${client_median_ms} ms, router p50 ${router_median_ms} ms"
check "the router's p50 is within the client's median (plus the 5 % bucket error)" "t" \
  "$(router_sql "SELECT $router_median_ms > 0 AND $router_median_ms <= $client_median_ms * 1.05")"

check "tenant 7 is the busiest tenant of orders" "7" \
  "$(router_sql "SELECT tenant FROM shale.tenant_stats WHERE table_name = 'orders'::regclass ORDER BY statements DESC LIMIT 1")"
check "shale.query_stats_info reports the bound" "5000" "$(router_sql "SELECT max_patterns FROM shale.query_stats_info()")"
router_sql "SELECT shale.reset_query_stats()" >/dev/null
check "a reset forgets the patterns" "0" "$(router_sql "SELECT count(*) FROM shale.query_stats WHERE query LIKE '%orders%'")"

finish_checks "multinode insights"
