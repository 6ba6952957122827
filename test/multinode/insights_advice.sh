#!/usr/bin/env bash
# insights_advice.sh — query insights over windows and advice (docs/insights.md):
# shaled keeps the history of shale.query_stats in the router's shale_insights
# schema; `shale insights --window` adds the history and what happened since,
# and the history outlives a reset of the router's statistics. A workload of
# known shapes makes each advice appear with its statement: a fan-out on a
# column of a table that cannot be redistributed (index), one on a table that
# can (distribution), a small table joined from multi-shard statements
# (reference table), a hot tenant, an unused and a duplicate index; applying
# an advice makes it go away. shaled's /metrics shows the insights families.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
with_test_cluster insights_advice --workers 2 --replicas 0

insights() { "$SHALE_BIN" insights --dir "$CLUSTER_DIR" "$@"; }
json_field() {  # json_field EXPRESSION [ARG]: EXPRESSION over d, the JSON on stdin (ARG is sys.argv[1])
  local expression=$1
  shift
  /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($expression)" "$@"
}

router_sql "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                                 country text NOT NULL, total numeric)"
router_sql "CREATE INDEX orders_status_idx ON orders (status)"
router_sql "CREATE INDEX orders_total_idx ON orders (total)"
router_sql "CREATE INDEX orders_total_copy ON orders (total)"
router_sql "SELECT shale.distribute_table('orders', 'id', 8)" >/dev/null
router_sql "INSERT INTO orders SELECT g, g % 50, CASE WHEN g % 10 = 0 THEN 'open' ELSE 'done' END,
            (ARRAY['fr','de','it'])[g % 3 + 1], g FROM generate_series(1, 3000) g"
router_sql "CREATE TABLE events (id bigint NOT NULL, account_id int NOT NULL, payload text)"
router_sql "SELECT shale.distribute_table('events', 'id', 8)" >/dev/null
router_sql "INSERT INTO events SELECT g, g % 20, 'e' || g FROM generate_series(1, 2000) g"
router_sql "CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL)"
router_sql "SELECT shale.distribute_table('countries', 'code', 8)" >/dev/null
router_sql "INSERT INTO countries VALUES ('fr', 'France'), ('de', 'Germany'), ('it', 'Italy')"
router_sql "SELECT shale.reset_query_stats()" >/dev/null

snapshot_taken=f
for i in $(seq 1 60); do  # shaled snapshots as soon as it is active, then every minute
  snapshot_taken=$(router_sql "SELECT to_regclass('shale_insights.state') IS NOT NULL AND
                               EXISTS (SELECT FROM shale_insights.state WHERE key = 'snapshot_at')" 2>/dev/null || echo f)
  [ "$snapshot_taken" = t ] && break
  sleep 0.5
done
check "shaled took its first snapshot into shale_insights" "t" "$snapshot_taken"

run_workload() { psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q -f "$1" >/dev/null; }
{
  for i in $(seq 1 200); do echo "SELECT total FROM orders WHERE id = 7;"; done           # hot tenant 7
  for i in $(seq 1 50); do echo "SELECT total FROM orders WHERE id = $((100 + i));"; done
  for i in $(seq 1 30); do echo "SELECT count(*) FROM orders WHERE customer_id = $((i % 50));"; done   # fan-out
  for i in $(seq 1 40); do echo "SELECT count(*) FROM events WHERE account_id = $((i % 20));"; done    # fan-out
  for i in $(seq 1 20); do echo "SELECT c.name, count(*) FROM orders o JOIN countries c ON c.code = o.country GROUP BY c.name;"; done
} >"$work/workload.sql"
run_workload "$work/workload.sql"

point='SELECT total FROM orders WHERE id = $1'
window_calls() {  # window_calls WINDOW PATTERN: calls of the pattern in the window
  insights --window "$1" --json --limit 1000 | json_field "sum(p['calls'] for p in d['patterns'] if p['query'] == sys.argv[1])" "$2"
}
check "shale insights --window 15m: the point query's calls" "250" "$(window_calls 15m "$point")"
insights snapshot >/dev/null
check "after a snapshot the history holds them, the window still counts each once" "250" "$(window_calls 15m "$point")"
for i in $(seq 1 10); do echo "SELECT total FROM orders WHERE id = 8;"; done >"$work/more.sql"
run_workload "$work/more.sql"
check "history plus what happened since the snapshot" "260" "$(window_calls 1h "$point")"
insights snapshot >/dev/null
router_sql "SELECT shale.reset_query_stats()" >/dev/null
check "the history outlives a reset of the router's statistics" "260" "$(window_calls 24h "$point")"
run_workload "$work/more.sql"
check "after the reset new calls add to the history" "270" "$(window_calls 7d "$point")"

# ageing: minute buckets older than 2 hours become 15-minute ones, those older
# than 2 days hourly ones, and hourly ones older than 7 days go; calls are kept
router_sql "INSERT INTO shale_insights.bucket VALUES
  (60, date_trunc('hour', now()) - interval '3 hours', 42, 'old', 'postgres', 5, 0, 1, 5, 5),
  (60, date_trunc('hour', now()) - interval '3 hours' + interval '1 minute', 42, 'old', 'postgres', 7, 0, 1, 7, 7),
  (900, date_trunc('hour', now()) - interval '3 days', 42, 'old', 'postgres', 11, 0, 1, 11, 11),
  (900, date_trunc('hour', now()) - interval '3 days' + interval '15 minutes', 42, 'old', 'postgres', 13, 0, 1, 13, 13),
  (3600, now() - interval '8 days', 42, 'old', 'postgres', 17, 0, 1, 17, 17)"
insights snapshot >/dev/null
check "aged buckets are rolled up (60 s -> 900 s -> 3600 s) and the oldest dropped" "900:12 3600:24" \
  "$(router_sql "SELECT string_agg(bucket_seconds || ':' || calls, ' ' ORDER BY bucket_seconds) FROM shale_insights.bucket WHERE user_name = 'old'")"
# the hard bound: 100,050 more rows over the last 100 minutes; the oldest minutes go first
router_sql "INSERT INTO shale_insights.bucket SELECT 60, date_trunc('minute', now()) - (g % 100 + 1) * interval '1 minute',
            g, 'flood', 'postgres', 1, 0, 1, 1, 1 FROM generate_series(1, 100050) g"
started=$(date +%s%N)
insights snapshot >/dev/null
echo "# a snapshot over $(router_sql "SELECT count(*) FROM shale_insights.bucket") history rows took $(( ($(date +%s%N) - started) / 1000000 )) ms"
check "the history is bounded: at most 100000 rows, the newest kept" "t|t" \
  "$(router_sql "SELECT count(*) <= 100000, bool_or(bucket_start = date_trunc('minute', now()) - interval '1 minute') FROM shale_insights.bucket")"
router_sql "DELETE FROM shale_insights.bucket WHERE user_name IN ('flood', 'old')" >/dev/null
check "a bad window is a usage error (exit 2)" "2" "$(insights --window 8d >/dev/null 2>&1; echo $?)"
check "a bad window names the accepted ones" "1" \
  "$(insights --window 10x 2>&1 | grep -c '15m, 1h, 24h, 7d')"
insights --window 15m | head -8

# the advice needs the workload in the window again (the reset forgot shapes and tenants)
run_workload "$work/workload.sql"
insights advice --json >"$work/advice.json"
insights advice
advice_statement() {  # advice_statement ID: its statements, joined by " | "
  json_field "' | '.join(s for a in d['advice'] if a['id'] == sys.argv[1] for s in a['statements'])" "$1" <"$work/advice.json"
}
check "fan-out on orders.customer_id (the primary key blocks redistribution): an index" \
  "CREATE INDEX orders_customer_id_idx ON orders (customer_id)" "$(advice_statement index:orders:customer_id)"
check "fan-out on events.account_id (no unique index): distribute by it" \
  "SELECT shale.undistribute_table('events') | SELECT shale.distribute_table('events', 'account_id')" \
  "$(advice_statement distribution:events:account_id)"
check "the small table of a multi-shard join (not the bigger one) becomes a reference table" \
  "SELECT shale.undistribute_table('countries') | SELECT shale.make_reference_table('countries')" \
  "$(advice_statement reference_table:countries)"
check "an index no shard scanned" "DROP INDEX orders_status_idx" "$(advice_statement unused_index:orders_status_idx)"
check "the unused index's evidence sums its 8 shard copies" "8" \
  "$(json_field "[a['evidence']['shard_copies'] for a in d['advice'] if a['id'] == 'unused_index:orders_status_idx'][0]" <"$work/advice.json")"
check "a duplicate index" "DROP INDEX orders_total_copy" "$(advice_statement duplicate_index:orders_total_copy)"
check "the index it duplicates is the one kept" "orders_total_idx" \
  "$(json_field "[a['evidence']['duplicate_of'] for a in d['advice'] if a['id'] == 'duplicate_index:orders_total_copy'][0]" <"$work/advice.json")"
check_contains "the hot tenant 7 is split off its shard" "SELECT shale.split_shard(" "$(advice_statement hot_tenant:orders:7)"
check "the primary key is never advised away" "" "$(advice_statement unused_index:orders_pkey)"
check "the bigger table of the join stays distributed" "" "$(advice_statement reference_table:orders)"

for id in index:orders:customer_id distribution:events:account_id reference_table:countries \
          unused_index:orders_status_idx duplicate_index:orders_total_copy; do
  check "shale insights apply $id" "0" "$(insights apply "$id" >"$work/apply.out" 2>&1; echo $?)"
done
cat "$work/apply.out"
check "events is distributed by account_id now" "account_id" \
  "$(router_sql "SELECT distribution_column FROM shale.tables WHERE table_name = 'events'::regclass")"
check "countries is a reference table now" "reference" \
  "$(router_sql "SELECT kind FROM shale.tables WHERE table_name = 'countries'::regclass")"
check "the rows are all still there" "2000|3" "$(router_sql "SELECT (SELECT count(*) FROM events) || '|' || (SELECT count(*) FROM countries)")"
insights advice --json >"$work/advice.json"
# orders_total_idx has no duplicate any more, but no scans either
check "every applied advice went away (the hot tenant's and the unused orders_total_idx stay)" \
  "hot_tenant:orders:7 unused_index:orders_total_idx" \
  "$(json_field "' '.join(sorted(a['id'] for a in d['advice']))" <"$work/advice.json")"
check "the new index on customer_id is not advised away as unused" "" "$(advice_statement unused_index:orders_customer_id_idx)"
check "applying unknown advice fails" "1" "$(insights apply no:such >/dev/null 2>&1; echo $?)"
check "dismiss" "dismissed hot_tenant:orders:7" "$(insights dismiss hot_tenant:orders:7)"
insights advice --json >"$work/advice.json"
check "dismissed advice is listed apart" "1 1" "$(json_field "'%d %d' % (len(d['advice']), len(d['dismissed']))" <"$work/advice.json")"
router_sql "SELECT shale.reset_query_stats()" >/dev/null
run_workload "$work/workload.sql"
check "the events fan-out now runs on one shard" "single-shard" \
  "$(router_sql "SELECT ran_on FROM shale.query_stats WHERE query = 'SELECT count(*) FROM events WHERE account_id = \$1'")"

# a column dropped after its fan-out was recorded (live and in the history) is advised no more
router_sql "ALTER TABLE orders ADD COLUMN coupon text" >/dev/null
for i in $(seq 1 30); do echo "SELECT count(*) FROM orders WHERE coupon = 'c$i';"; done >"$work/coupon.sql"
run_workload "$work/coupon.sql"
insights snapshot >/dev/null
check "a fan-out on orders.coupon: an index" "CREATE INDEX orders_coupon_idx ON orders (coupon)" \
  "$(insights advice --json >"$work/advice.json"; advice_statement index:orders:coupon)"
router_sql "ALTER TABLE orders DROP COLUMN coupon" >/dev/null
check "the dropped column is no pattern's filter column" "" \
  "$(router_sql "SELECT fanout_filter_column FROM shale.query_stats WHERE query LIKE '%coupon%'")"
insights advice --json >"$work/advice.json"
check "no advice names the dropped column" "0" "$(grep -c 'coupon\|pg.dropped' "$work/advice.json" || true)"

# shaled's /metrics: bounded label sets (ran_on), no per-tenant or per-pattern series
http_port=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['http_port'])" "$CLUSTER_DIR/cluster.json")
metrics=$(curl -s "http://127.0.0.1:$http_port/metrics")
echo "$metrics" | grep -E '^shale_(query|insights)_' | sed 's/^/# /'
check_contains "shale_query_calls_total by ran_on" 'shale_query_calls_total{ran_on="single-shard"}' "$metrics"
check_contains "shale_query_patterns_max" "shale_query_patterns_max 5000" "$metrics"
check_contains "shaled counts its snapshots" "shale_insights_snapshots_total" "$metrics"
check "no label but ran_on on the query families" "0" \
  "$(echo "$metrics" | grep '^shale_query_' | grep '{' | grep -vc '^shale_query_[a-z_]*{ran_on="[a-z-]*"}' || true)"

finish_checks "multinode insights advice"
