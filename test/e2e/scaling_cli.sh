#!/usr/bin/env bash
# scaling_cli.sh — the scaling commands of the shale CLI on a real cluster
# (2 worker groups, no replicas, shale.auto_scaling off as the harness sets it):
#   add-group → a 3rd group in shale.nodes, cluster.json and shale status, with
#   the reference tables; rebalance --wait → the new group holds shards, data
#   unchanged; drain --group 1 --wait --remove → group 1 holds nothing and its
#   nodes are gone and stopped, data unchanged; bad input gives clear errors;
#   a failed add-group leaves nothing behind; down/up restart the added group
#   too and down leaves no server running.
#
# Usage: test/e2e/scaling_cli.sh   (SHALE_BIN=/path/to/shale to test a build tree)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

started=$SECONDS
with_test_cluster scaling-cli --workers 2 --replicas 0 || exit 1
dir=$CLUSTER_DIR

router_sql "CREATE TABLE items (id bigint PRIMARY KEY, v int NOT NULL)"
router_sql "SELECT shale.distribute_table('items', 'id', 6)" >/dev/null
router_sql "INSERT INTO items SELECT g, g % 97 FROM generate_series(1, 3000) g"
router_sql "CREATE TABLE colors (id int PRIMARY KEY, name text NOT NULL)"
router_sql "SELECT shale.make_reference_table('colors')" >/dev/null
router_sql "INSERT INTO colors SELECT g, 'color ' || g FROM generate_series(1, 10) g"
data() { router_sql "SELECT count(*) || ':' || sum(v) FROM items"; }
joined() { router_sql "SELECT count(*) FROM items i JOIN colors c ON c.id = i.v"; }
before=$(data)
joined_before=$(joined)
distributed_on() {
  router_sql "SELECT count(*) FROM shale.placement p JOIN shale.shard s ON s.shard_id = p.shard_id
              JOIN shale.distributed_table d ON d.table_id = s.table_id AND d.kind = 'distributed' WHERE p.group_id = $1"
}

# --- add-group ---------------------------------------------------------------
output=$("$SHALE_BIN" add-group --dir "$dir" --replicas 0 2>&1)
check "add-group succeeds" "0" "$?"
echo "$output" | sed 's/^/    /'
new_group=$(echo "$output" | tail -n 1)
check "add-group prints the new group id last" "3" "$new_group"
check_contains "add-group hints at rebalancing" "shale rebalance" "$output"
check "group 3 is in shale.nodes" "primary" "$(router_sql "SELECT string_agg(role, ',') FROM shale.nodes WHERE group_id = 3")"
check "cluster.json lists group 3" "1" "$(grep -c '"name": "group3-primary"' "$dir/cluster.json")"
port3=$(node_port group3)
check "group 3 got the reference table" "10" "$(port_sql "$port3" "SELECT count(*) FROM colors_$(router_sql "SELECT min(shard_id) FROM shale.shards WHERE table_name = 'colors'::regclass")")"
status=$("$SHALE_BIN" status --dir "$dir" 2>&1)
check_contains "status shows the new node" "group3-primary" "$status"
check_contains "status shows shards per group" "shards per worker group" "$status"
check "shaled runs after add-group" "1" "$(grep -c '^shaled: running' <<<"$status")"

# --- rebalance ---------------------------------------------------------------
output=$("$SHALE_BIN" rebalance --dir "$dir" --wait --timeout 60 2>&1)
check "rebalance --wait succeeds" "0" "$?"
echo "$output" | sed 's/^/    /'
check_contains "rebalance reports moves" "move(s) so far" "$output"
moved_to_3=$(distributed_on 3)
check "the new group holds shards" "true" "$([ "$moved_to_3" -gt 0 ] && echo true || echo "false ($moved_to_3)")"
check "data unchanged after rebalance" "$before" "$(data)"
check "reference joins unchanged after rebalance" "$joined_before" "$(joined)"
status=$("$SHALE_BIN" status --dir "$dir" 2>&1)
check_contains "status lists the rebalance" "rebalance" "$status"

# --- bad input ---------------------------------------------------------------
output=$("$SHALE_BIN" drain --dir "$dir" --group 9 2>&1)
check "drain of an unknown group fails" "1" "$?"
check_contains "unknown group: clear error" "worker group 9 does not exist" "$output"
output=$("$SHALE_BIN" drain --dir "$dir" 2>&1)
check "drain without --group is a usage error" "2" "$?"
output=$("$SHALE_BIN" add-group --dir "$work/nothing-here" 2>&1)
check "add-group outside a cluster fails" "1" "$?"
check_contains "not a cluster: clear error" "is not a Shale cluster directory" "$output"
output=$("$SHALE_BIN" rebalance --dir "$work/nothing-here" 2>&1)
check_contains "rebalance outside a cluster: clear error" "is not a Shale cluster directory" "$output"

# --- drain with removal --------------------------------------------------------
group1_dir="$dir/group1/primary"
output=$("$SHALE_BIN" drain --dir "$dir" --group 1 --wait --remove --timeout 60 2>&1)
check "drain --group 1 --wait --remove succeeds" "0" "$?"
echo "$output" | sed 's/^/    /'
check "group 1 holds no placements" "0" "$(router_sql "SELECT count(*) FROM shale.placement WHERE group_id = 1")"
check "group 1 has no nodes" "0" "$(router_sql "SELECT count(*) FROM shale.nodes WHERE group_id = 1")"
check "cluster.json forgot group 1" "0" "$(grep -c '"name": "group1-' "$dir/cluster.json")"
check "group 1's server is stopped" "no" "$([ -f "$group1_dir/postmaster.pid" ] && echo yes || echo no)"
check "data unchanged after the drain" "$before" "$(data)"
check "reference joins unchanged after the drain" "$joined_before" "$(joined)"
check "no operation left unfinished" "0" "$(router_sql "SELECT count(*) FROM shale.operations WHERE finished_at IS NULL")"

# --- a failed add-group leaves nothing behind ----------------------------------
# A node registered by hand on the port add-group will pick (a replica, so
# add_node copies no reference table to it) makes its registration fail after
# the new server was created and started.
highest_port=$(grep -o '"port": [0-9]*' "$dir/cluster.json" | grep -o '[0-9]*' | sort -n | tail -n 1)
taken_port=$(free_port_from $((highest_port + 1)))
router_sql "SELECT shale.add_node('127.0.0.1', $taken_port, 2, 'replica')" >/dev/null
cp "$dir/cluster.json" "$work/cluster.json.before"
output=$("$SHALE_BIN" add-group --dir "$dir" --replicas 0 2>&1)
check "add-group fails when registration fails" "1" "$?"
check_contains "failed add-group names the cause" "is already registered" "$output"
check "failed add-group leaves cluster.json alone" "same" "$(cmp -s "$dir/cluster.json" "$work/cluster.json.before" && echo same)"
check "failed add-group removed its data directory" "0" "$(ls -d "$dir"/group4/primary 2>/dev/null | wc -l)"
check "failed add-group stopped its server" "0" "$(ps -eo args | grep -F "$dir/group4/" | grep -cv grep)"
router_sql "SELECT shale.remove_node(node_id) FROM shale.nodes WHERE port = $taken_port" >/dev/null

# --- down and up with the added group -----------------------------------------
"$SHALE_BIN" down --dir "$dir" >/dev/null 2>&1
check "down stops the added group" "no" "$([ -f "$dir/group3/primary/postmaster.pid" ] && echo yes || echo no)"
check "no server of this cluster runs after down" "0" "$(ps -eo args | grep -F "$dir/" | grep -cv grep)"
"$SHALE_BIN" up --dir "$dir" >/dev/null 2>&1
check "up starts the added group again" "yes" "$([ -f "$dir/group3/primary/postmaster.pid" ] && echo yes || echo no)"
check "up leaves the removed group stopped" "no" "$([ -f "$group1_dir/postmaster.pid" ] && echo yes || echo no)"
check "data unchanged after down and up" "$before" "$(data)"

echo "scaling_cli took $((SECONDS - started)) s"
finish_checks "e2e scaling_cli"
