#!/usr/bin/env bash
# distribute_failures.sh — distribute_table against real failures leaves no
# half-created state: a worker that is down, and a worker that fails half-way
# (a conflicting table already sits where one shard must go).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster multinode --workers 2 --replicas 0
group1_port=$(node_port group1)
group2_port=$(node_port group2)

shard_tables_on() {
  port_sql "$1" "SELECT count(*) FROM pg_class WHERE relname LIKE 'items\_%' AND relkind = 'r'"
}

router_sql "CREATE TABLE items (id bigint PRIMARY KEY, note text);
            INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 500) g;"

# 1. a worker is down: a clear error naming the node, nothing left behind
pg_ctl_as_owner -D "$(node_data_dir 2)" stop -m fast -w >/dev/null
started=$(date +%s)
error=$(router_sql "SET shale.connect_timeout = 2000; SELECT shale.distribute_table('items', 'id', 8)" 2>&1 || true)
elapsed=$(($(date +%s) - started))
check_contains "down worker: error names the node" "could not connect to worker node 127.0.0.1:$group2_port" "$error"
check "down worker: refused within the connect timeout" "yes" "$([ "$elapsed" -le 10 ] && echo yes || echo "no (${elapsed}s)")"
check "down worker: no catalog rows" "0" "$(router_sql "SELECT count(*) FROM shale.tables")"
check "down worker: rows still on the router" "500" "$(router_sql "SELECT count(*) FROM items")"
check "down worker: no orphan shard on the live worker" "0" "$(shard_tables_on "$group1_port")"
pg_ctl_as_owner -D "$(node_data_dir 2)" start -w -l "$CLUSTER_DIR/logs/group2-primary.log" >/dev/null
check "restarted worker: no orphan shard" "0" "$(shard_tables_on "$group2_port")"

# 2. a worker fails half-way: one shard name is taken on group 2
taken=$(router_sql "SELECT last_value + 8 FROM shale.shard_id_seq")
port_sql "$group2_port" "CREATE TABLE public.items_$taken (x int)"
error=$(router_sql "SELECT shale.distribute_table('items', 'id', 8)" 2>&1 || true)
check_contains "half-way failure: the worker's error comes back" "already exists" "$error"
check "half-way failure: no catalog rows" "0" "$(router_sql "SELECT count(*) FROM shale.shard")"
check "half-way failure: no orphan shards on group 1" "0" "$(shard_tables_on "$group1_port")"
check "half-way failure: only the conflicting table on group 2" "1" "$(shard_tables_on "$group2_port")"
check "half-way failure: no prepared transaction left" "0" \
  "$(( $(port_sql "$group1_port" "SELECT count(*) FROM pg_prepared_xacts") + $(port_sql "$group2_port" "SELECT count(*) FROM pg_prepared_xacts") ))"
port_sql "$group2_port" "DROP TABLE public.items_$taken"

# 3. then it works, with two-phase commit across both groups, and the rows are on the workers
router_sql "SELECT shale.distribute_table('items', 'id', 8)" >/dev/null
check "distributed: shards on both groups" "4 4" "$(shard_tables_on "$group1_port") $(shard_tables_on "$group2_port")"
check "distributed: a commit record for the 2PC" "1" "$(router_sql "SELECT count(*) FROM shale.commit_record WHERE group_ids @> '{1,2}'")"
check "distributed: no prepared transaction left" "0" \
  "$(( $(port_sql "$group1_port" "SELECT count(*) FROM pg_prepared_xacts") + $(port_sql "$group2_port" "SELECT count(*) FROM pg_prepared_xacts") ))"
# each row sits in the shard its hash says, and together the shards hold every row
misplaced=0
on_workers=0
for port in "$group1_port" "$group2_port"; do
  for shard in $(port_sql "$port" "SELECT substring(relname from '[0-9]+$') FROM pg_class WHERE relname LIKE 'items\_%' AND relkind = 'r'"); do
    range=$(router_sql "SELECT hash_min || ' ' || hash_max FROM shale.shard WHERE shard_id = $shard")
    bad=$(port_sql "$port" "SELECT count(*) FROM items_$shard WHERE hashint8extended(id, 0) NOT BETWEEN ${range% *} AND ${range#* }")
    misplaced=$((misplaced + bad))
    on_workers=$((on_workers + $(port_sql "$port" "SELECT count(*) FROM items_$shard")))
  done
done
check "distributed: no row in the wrong shard" "0" "$misplaced"
check "distributed: every row is in a shard" "500" "$on_workers"

# 4. DROP TABLE removes the shards on every worker
router_sql "DROP TABLE items"
check "dropped: no shards left" "0 0" "$(shard_tables_on "$group1_port") $(shard_tables_on "$group2_port")"

finish_checks "multinode distribute_failures"
