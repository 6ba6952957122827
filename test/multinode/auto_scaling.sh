#!/usr/bin/env bash
# auto_scaling.sh — data spreads onto a new worker group by itself, a group
# drains before removal, and a shard past shale.auto_split_size splits by
# itself; shaled drives all of it (shale.run_scaling_step), every decision is
# an event, and the data is the same afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster scaling --workers 2 --replicas 0
# scratch files and the hand-made node live in the test cluster's work dir, removed on exit
chmod 777 "$work"
new_node="$work/group3"
trap '[ -f "$new_node/postmaster.pid" ] && pg_ctl_as_owner stop -D "$new_node" -m immediate >/dev/null 2>&1 || true; cluster_stop; rm -rf "$work"' EXIT

router_sql "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, pad text)"
router_sql "INSERT INTO accounts SELECT g, g % 100, repeat('x', 200) FROM generate_series(1, 40000) g"
router_sql "SELECT shale.distribute_table('accounts', 'id', 8)" >/dev/null
router_sql "CREATE TABLE countries (code text PRIMARY KEY, name text)"
router_sql "INSERT INTO countries VALUES ('fr', 'France'), ('jp', 'Japan')"
router_sql "SELECT shale.make_reference_table('countries')" >/dev/null
totals() { router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts"; }
before=$(totals)

# Waits until a SQL condition on the router is true (shaled works in the background); prints its time.
wait_until() {
  local description=$1 condition=$2 limit=${3:-60} started=$SECONDS
  until [ "$(router_sql "SELECT ($condition)::int")" = 1 ]; do
    if [ $((SECONDS - started)) -ge "$limit" ]; then
      echo "# gave up waiting: $description; unfinished operations and last events:"
      router_sql "SELECT operation_id, kind, phase, error FROM shale.operations WHERE finished_at IS NULL" | sed 's/^/#   /'
      router_sql "SELECT kind, detail FROM shale.event ORDER BY event_id DESC LIMIT 5" | sed 's/^/#   /'
      return 0
    fi
    sleep 0.5
  done
  echo "# $description after $((SECONDS - started)) s"
}
sets_on() { router_sql "SELECT count(*) FROM shale.shard_sets() WHERE group_id = $1"; }

# ---------------------------------------------------------------- a new worker group
# a server set up by hand, as a DBA adding a machine would
port=$(free_port_from $((ROUTER_PORT + 50)))
runuser -u postgres -- "$PG_BIN/initdb" -D "$new_node" -U postgres --auth=trust --no-sync >/dev/null
cat >> "$new_node/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
wal_level = logical
max_prepared_transactions = 100
max_wal_senders = 20
max_replication_slots = 20
shared_preload_libraries = 'shale'
EOF
if ! pg_ctl_as_owner start -w -D "$new_node" -l "$work/group3.log" >/dev/null; then
  # the port may have been taken in the meantime: once more on another one
  tail -5 "$work/group3.log"
  port=$(free_port_from $((port + 7)))
  echo "port = $port" >> "$new_node/postgresql.conf"
  pg_ctl_as_owner start -w -D "$new_node" -l "$work/group3.log" >/dev/null
fi
port_sql "$port" "CREATE EXTENSION shale"
router_sql "ALTER SYSTEM SET shale.auto_scaling = on"
router_sql "SELECT pg_reload_conf()" >/dev/null
router_sql "SELECT shale.add_node('127.0.0.1', $port)" >/dev/null
check "the new group got its copy of the reference table" "2" "$(port_sql "$port" "SELECT count(*) FROM public.countries_$(router_sql "SELECT min(shard_id) FROM shale.shards WHERE table_name = 'countries'::regclass")")"

wait_until "shards moved onto the new group" "(SELECT count(*) FROM shale.shard_sets() WHERE group_id = 3) >= 2
  AND NOT EXISTS (SELECT 1 FROM shale.operations WHERE kind = 'rebalance' AND finished_at IS NULL)" 90
check "the new group holds shards (8 over 3 groups)" "yes" "$([ "$(sets_on 3)" -ge 2 ] && echo yes || echo "no: $(sets_on 3)")"
check "no group holds more than 3 of the 8 shard sets" "0" \
  "$(router_sql "SELECT count(*) FROM (SELECT group_id FROM shale.shard_sets() GROUP BY 1 HAVING count(*) > 3) over")"
check "the decision is an event" "yes" "$(router_sql "SELECT CASE WHEN count(*) > 0 THEN 'yes' ELSE 'no' END FROM shale.event WHERE kind = 'auto_rebalance'")"
check "every move is an event" "yes" "$(router_sql "SELECT CASE WHEN count(*) >= 2 THEN 'yes' ELSE 'no' END FROM shale.event WHERE kind = 'rebalance_move'")"
check "data unchanged after rebalancing" "$before" "$(totals)"
check "a join with the reference table on every group" "40000" \
  "$(router_sql "SELECT count(*) FROM accounts a JOIN countries c ON c.code = CASE WHEN a.id % 2 = 0 THEN 'fr' ELSE 'jp' END")"

# ---------------------------------------------------------------- draining a group
router_sql "ALTER SYSTEM SET shale.auto_scaling = off"
router_sql "SELECT pg_reload_conf()" >/dev/null
# each move pauses 2 s before its cutover, so shaled can be killed in the middle of one
router_sql "ALTER SYSTEM SET shale.fault_pause_before_cutover = '2s'"
router_sql "SELECT pg_reload_conf()" >/dev/null
drain=$(router_sql "SELECT shale.drain_group(1)")
check "draining the same group twice gives the same operation" "$drain" "$(router_sql "SELECT shale.drain_group(1)")"
wait_until "a drain move waits to cut over" "EXISTS (SELECT 1 FROM shale.operations WHERE kind = 'move' AND phase = 'cutover' AND finished_at IS NULL)" 60
kill -9 "$(cat "$CLUSTER_DIR/shaled.pid")"
echo "# killed shaled in the middle of a move"
sleep 3
router_sql "ALTER SYSTEM RESET shale.fault_pause_before_cutover"
router_sql "SELECT pg_reload_conf()" >/dev/null
"$SHALE_BIN" up --dir "$CLUSTER_DIR" >/dev/null  # starts shaled again, as after a reboot
wait_until "group 1 drained" "(SELECT finished_at IS NOT NULL FROM shale.operations WHERE operation_id = $drain)" 90
wait_until "every move cleaned up" "NOT EXISTS (SELECT 1 FROM shale.operations WHERE finished_at IS NULL)" 30
check "the drain finished" "done" "$(router_sql "SELECT phase FROM shale.operations WHERE operation_id = $drain")"
check "group 1 holds no placement" "0" "$(router_sql "SELECT count(*) FROM shale.placement WHERE group_id = 1")"
check "data unchanged after draining (shaled killed meanwhile)" "$before" "$(totals)"
check "no replication leftovers after the drain" "0" \
  "$(sum_on_ports "SELECT (SELECT count(*) FROM pg_replication_slots) + (SELECT count(*) FROM pg_subscription) + (SELECT count(*) FROM pg_publication)" \
     $(router_sql "SELECT port FROM shale.nodes WHERE group_id > 0"))"
node1=$(router_sql "SELECT node_id FROM shale.nodes WHERE group_id = 1 AND role = 'primary'")
check "the drained group's node can be removed" "removed" "$(router_sql "SELECT shale.remove_node($node1)" >/dev/null && echo removed)"
check "data unchanged after removing it" "$before" "$(totals)"

# ---------------------------------------------------------------- an automatic split
sets_before=$(router_sql "SELECT count(*) FROM shale.shard_sets()")
router_sql "ALTER SYSTEM SET shale.auto_split_size = '1MB'"
router_sql "ALTER SYSTEM SET shale.auto_scaling = on"
router_sql "SELECT pg_reload_conf()" >/dev/null
wait_until "a big shard split" "EXISTS (SELECT 1 FROM shale.event WHERE kind = 'auto_split')" 60
router_sql "ALTER SYSTEM SET shale.auto_scaling = off"
router_sql "SELECT pg_reload_conf()" >/dev/null
wait_until "no operation running" "NOT EXISTS (SELECT 1 FROM shale.operations WHERE finished_at IS NULL)" 30
check "the split is an event naming the threshold" "yes" \
  "$(router_sql "SELECT CASE WHEN count(*) > 0 THEN 'yes' ELSE 'no' END FROM shale.event WHERE kind = 'auto_split' AND detail LIKE '%shale.auto_split_size%'")"
check "there are more shard sets now" "yes" "$([ "$(router_sql "SELECT count(*) FROM shale.shard_sets()")" -gt "$sets_before" ] && echo yes || echo no)"
check "data unchanged after the split" "$before" "$(totals)"
check "every shard range is covered once" "0" \
  "$(router_sql "SELECT count(*) FROM (SELECT hash_min, lead(hash_min) OVER (ORDER BY hash_min) AS next, hash_max FROM shale.shard WHERE table_id = 'accounts'::regclass) r WHERE next IS NOT NULL AND next <> hash_max + 1")"

# ---------------------------------------------------------------- a hot shard splits by itself
hot_shard=$(router_sql "SELECT shale.shard_for('accounts', 7::bigint)")
router_sql "ALTER SYSTEM SET shale.auto_split_size = '100GB'"
router_sql "ALTER SYSTEM SET shale.rebalance_tolerance = 10"
router_sql "ALTER SYSTEM SET shale.auto_split_load_window = '10s'"
router_sql "ALTER SYSTEM SET shale.auto_split_load_share = 0.5"
router_sql "ALTER SYSTEM SET shale.auto_scaling = on"
router_sql "SELECT pg_reload_conf()" >/dev/null
echo "SELECT balance FROM accounts WHERE id = 7;" > "$work/hot.sql"
pgbench -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -n -c 2 -T 60 -f "$work/hot.sql" postgres > "$work/hot.out" 2>&1 &
hot_load=$!
wait_until "the hot shard split" "EXISTS (SELECT 1 FROM shale.event WHERE kind = 'auto_split' AND detail LIKE '%shale.auto_split_load_share%')" 60
kill "$hot_load" 2>/dev/null || true
wait "$hot_load" 2>/dev/null || true
router_sql "ALTER SYSTEM SET shale.auto_scaling = off"
router_sql "SELECT pg_reload_conf()" >/dev/null
wait_until "no operation running" "NOT EXISTS (SELECT 1 FROM shale.operations WHERE finished_at IS NULL)" 30
echo "# $(router_sql "SELECT detail FROM shale.event WHERE kind = 'auto_split' ORDER BY event_id DESC LIMIT 1")"
check "the hot shard split (its key is in another shard now)" "yes" \
  "$([ "$(router_sql "SELECT shale.shard_for('accounts', 7::bigint)")" != "$hot_shard" ] && echo yes || echo no)"
check "the hot shard is gone from the catalog" "0" "$(router_sql "SELECT count(*) FROM shale.shard WHERE shard_id = $hot_shard")"
check "data unchanged after the load split" "$before" "$(totals)"

# ---------------------------------------------------------------- bad input
check_contains "draining an unknown group" "worker group 42 does not exist" "$(router_sql "SELECT shale.drain_group(42)" 2>&1 || true)"
check_contains "copying reference tables to an unknown group" "worker group 42 does not exist" \
  "$(router_sql "SELECT shale.copy_reference_tables(42)" 2>&1 || true)"

finish_checks "multinode auto_scaling"
