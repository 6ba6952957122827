#!/usr/bin/env bash
# ddl_shards.sh — DDL on a distributed table changes every shard on the workers,
# and a failure on one worker leaves no shard (and not the router) changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster ddl --workers 2 --replicas 0
group1_port=$(node_port group1)
group2_port=$(node_port group2)

count_on_workers() {
  echo $(( $(port_sql "$group1_port" "$1") + $(port_sql "$group2_port" "$1") ))
}

router_sql "CREATE TABLE items (id bigint PRIMARY KEY, v int);
            INSERT INTO items SELECT g, g FROM generate_series(1, 40) g;
            SELECT shale.distribute_table('items', 'id', 4);" >/dev/null

router_sql "CREATE INDEX items_v ON items (v)"
check "CREATE INDEX: one index per shard on the workers" "4" \
  "$(count_on_workers "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'items\_v\_%'")"
router_sql "ALTER TABLE items ADD COLUMN note text DEFAULT 'x'"
check "ADD COLUMN: every shard has the column" "4" \
  "$(count_on_workers "SELECT count(*) FROM information_schema.columns WHERE table_name LIKE 'items\_%' AND column_name = 'note'")"
check "ADD COLUMN: existing rows got the default on the shards" "40" "$(router_sql "SELECT count(*) FROM items WHERE note = 'x'")"
router_sql "DROP INDEX items_v"
check "DROP INDEX: gone from every shard" "0" \
  "$(count_on_workers "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'items\_v\_%'")"

# a worker that cannot apply the change: an index name is taken on group 2
shard=$(port_sql "$group2_port" "SELECT substring(min(relname) from '[0-9]+$') FROM pg_class WHERE relname LIKE 'items\_%' AND relkind = 'r'")
port_sql "$group2_port" "CREATE TABLE blocker (x int); CREATE INDEX items_w_$shard ON blocker (x)"
error=$(router_sql "CREATE INDEX items_w ON items (v)" 2>&1 || true)
check_contains "failed DDL: the worker's error comes back" "already exists" "$error"
check "failed DDL: no shard index on group 1" "0" \
  "$(port_sql "$group1_port" "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'items\_w\_%'")"
check "failed DDL: the router has no such index" "" "$(router_sql "SELECT to_regclass('items_w')")"
check "failed DDL: no prepared transaction left" "0" \
  "$(count_on_workers "SELECT count(*) FROM pg_prepared_xacts")"
port_sql "$group2_port" "DROP TABLE blocker"

router_sql "ALTER TABLE items RENAME TO things"
check "RENAME TO: the shards carry the new name" "4 0" \
  "$(count_on_workers "SELECT count(*) FROM pg_class WHERE relname LIKE 'things\_%' AND relkind = 'r'") $(count_on_workers "SELECT count(*) FROM pg_class WHERE relname LIKE 'items\_%' AND relkind = 'r'")"
check "RENAME TO: queries still work" "40" "$(router_sql "SELECT count(*) FROM things")"

finish_checks "multinode ddl_shards"
