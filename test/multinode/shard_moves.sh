#!/usr/bin/env bash
# shard_moves.sh — online shard moves and splits while a client writes.
#   1. A write workload that remembers every acknowledged commit (inserts,
#      updates, deletes, two-group transfers) runs through a move, a split onto
#      one group and a split onto two groups; afterwards the table equals what
#      the workload says, every row is in the shard that owns its hash, no
#      shard of the operations is left behind and no statement failed; the
#      foreign keys of a co-located table (to its parent and to a reference
#      table) are on every new shard and still enforced.
#   2. Kills at each phase — the router during the copy, the router after the
#      catalog switch but before its commit, the target during the copy — and a
#      cutover that cannot block writes in time: each rolls back, the source
#      shards keep serving, and shale.cleanup_operations() leaves no slot,
#      publication, subscription or half-copied table.
#   3. Bad input is refused with a clear error and changes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster moves --workers 3 --replicas 0
# scratch files live in the test cluster's work dir (with_test_cluster), removed on exit
trap 'touch "$work/stop"; wait || true; cluster_stop; rm -rf "$work"' EXIT
ports=("$(node_port group1)" "$(node_port group2)" "$(node_port group3)")

router_sql "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, note text)"
router_sql "INSERT INTO accounts (id, balance) SELECT g, 0 FROM generate_series(1, 20000) g"
router_sql "SELECT shale.distribute_table('accounts', 'id', 4)" >/dev/null
router_sql "CREATE TABLE notes (id bigint, n int, body text, PRIMARY KEY (id, n))"
router_sql "SELECT shale.distribute_table('notes', 'id', colocate_with => 'accounts')" >/dev/null
router_sql "INSERT INTO notes SELECT g % 5000, g, 'note ' || g FROM generate_series(1, 10000) g"
notes_before=$(router_sql "SELECT count(*) || ':' || sum(n) FROM notes")
# foreign keys go with the shards: to a co-located table (unnamed, ON DELETE CASCADE) and to a reference table
router_sql "CREATE TABLE tag_kinds (kind int PRIMARY KEY, label text)"
router_sql "SELECT shale.make_reference_table('tag_kinds')" >/dev/null
router_sql "INSERT INTO tag_kinds VALUES (1, 'one'), (2, 'two'), (3, 'three')"
router_sql "CREATE TABLE account_tags (id bigint, kind int, PRIMARY KEY (id, kind))"
router_sql "SELECT shale.distribute_table('account_tags', 'id', colocate_with => 'accounts')" >/dev/null
router_sql "ALTER TABLE account_tags ADD FOREIGN KEY (id) REFERENCES accounts (id) ON DELETE CASCADE"
router_sql "ALTER TABLE account_tags ADD CONSTRAINT account_tags_kind_fk FOREIGN KEY (kind) REFERENCES tag_kinds (kind)"
router_sql "INSERT INTO account_tags SELECT g, 1 + g % 3 FROM generate_series(1, 2000) g"
# Validated foreign keys on account_tags shards over every worker (two per shard are expected).
shard_foreign_keys() {
  sum_on_ports "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated
                AND conrelid::regclass::text LIKE 'account\_tags\_%'" "${ports[@]}"
}

# The worker-side objects no finished operation may leave: slots, publications, subscriptions, markers.
leftovers() {
  local port total=0
  for port in "${ports[@]}"; do
    total=$((total + $(port_sql "$port" "SELECT (SELECT count(*) FROM pg_replication_slots) + (SELECT count(*) FROM pg_publication)
      + (SELECT count(*) FROM pg_subscription) + (SELECT count(*) FROM shale.operation_marker)")))
  done
  echo "$total"
}
# Shard tables on the workers that the catalog does not list.
stray_tables() {
  local group port listed
  for group in 1 2 3; do
    port=${ports[$((group - 1))]}
    listed=$(router_sql "SELECT string_agg(quote_literal(table_name || '_' || shard_id), ',') FROM shale.shards WHERE group_id = $group")
    port_sql "$port" "SELECT string_agg(relname, ' ') FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace
                      AND relname NOT IN (${listed:-''})"
  done | tr -s '\n' ' ' | sed 's/ *$//'
}
# Rows whose hash is outside their shard's range, and rows held twice, over every shard.
misplaced_rows() {
  router_sql "SELECT shard_id, table_name, hash_min, hash_max, group_id FROM shale.shards WHERE table_name = 'accounts'::regclass" |
    while IFS='|' read -r shard table low high group; do
      port_sql "${ports[$((group - 1))]}" "SELECT count(*) FROM ${table}_${shard} WHERE hashint8extended(id, 0) NOT BETWEEN $low AND $high"
    done | awk '{ total += $1 } END { print total + 0 }'
}
run_cleanup() { router_sql "SELECT shale.cleanup_operations()"; }
# Cleans up (shaled may get there first) until no operation is unfinished; prints how many are unfinished.
finish_operations() {
  local started=$SECONDS unfinished
  while :; do
    run_cleanup >/dev/null 2>&1 || true
    unfinished=$(router_sql "SELECT count(*) FROM shale.operations WHERE finished_at IS NULL")
    [ "$unfinished" = 0 ] || [ $((SECONDS - started)) -ge 20 ] && break
    sleep 0.3
  done
  echo "$unfinished"
}
shard_on() { router_sql "SELECT min(shard_id) FROM shale.shards WHERE table_name = 'accounts'::regclass AND group_id = $1"; }

# ---------------------------------------------------------------- 1. under writes
/usr/bin/python3 "$here/lib/known_effects_workload.py" "$ROUTER_PORT" accounts 1 20000 "$work/stop" "$work/result.json" 2 &
workload=$!
sleep 1

source_shard=$(shard_on 1)
move_output=$(router_sql "SELECT shale.move_shard($source_shard, 3)" 2>&1)
echo "# move: $move_output"
check_contains "the move switched" "switched to the new shards" "$move_output"
check "the moved shard is on group 3" "3" "$(router_sql "SELECT group_id FROM shale.shards WHERE shard_id = $source_shard")"
check "its co-located notes shard moved with it" "3" \
  "$(router_sql "SELECT DISTINCT group_id FROM shale.shards s WHERE table_name = 'notes'::regclass AND hash_min = (SELECT hash_min FROM shale.shards WHERE shard_id = $source_shard)")"
check "clean-up finishes the move" "0" "$(finish_operations)"
check "the move is recorded as done" "done" "$(router_sql "SELECT phase FROM shale.operations ORDER BY operation_id DESC LIMIT 1")"

split_shard=$(shard_on 2)
split_output=$(router_sql "SELECT shale.split_shard($split_shard, NULL, ARRAY[1, 1])" 2>&1)
echo "# split onto one group: $split_output"
check_contains "the split onto one group switched" "switched to the new shards" "$split_output"
check "clean-up finishes the split" "0" "$(finish_operations)"

split_shard=$(shard_on 3)
split_output=$(router_sql "SELECT shale.split_shard($split_shard, NULL, ARRAY[1, 2])" 2>&1)
echo "# split onto two groups: $split_output"
check_contains "the split onto two groups switched" "switched to the new shards" "$split_output"
check "clean-up finishes the second split" "0" "$(finish_operations)"
sleep 1
touch "$work/stop"
wait "$workload"

check "accounts now has 6 shards, notes too" "6|6" \
  "$(router_sql "SELECT count(*) FILTER (WHERE table_name = 'accounts'::regclass) || '|' || count(*) FILTER (WHERE table_name = 'notes'::regclass) FROM shale.shards")"
/usr/bin/python3 - "$work/result.json" > "$work/expected.txt" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))
print("\n".join(f"{k}|{v}" for k, v in sorted((int(k), v) for k, v in result["rows"].items())))
EOF
router_sql "SELECT id || '|' || balance FROM accounts ORDER BY id" > "$work/actual.txt"
operations=$(/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['operations'])" "$work/result.json")
failures=$(/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(len(r['failures'])); [print('#', f) for f in r['failures'][:5]]" "$work/result.json")
stall=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['max_stall_ms']))" "$work/result.json")
echo "# workload: $operations committed operations, longest statement ${stall} ms"
[ "$operations" -gt 100 ] || echo "# warning: few operations ran"
check "the workload committed operations" "yes" "$([ "$operations" -gt 0 ] && echo yes || echo no)"
check "no workload statement failed" "0" "$(echo "$failures" | head -n 1)"
check "every acknowledged write is there, nothing else" "same" "$(cmp -s "$work/expected.txt" "$work/actual.txt" && echo same || diff "$work/expected.txt" "$work/actual.txt" | head -5)"
check "no row is held twice" "0" "$(router_sql "SELECT count(*) - count(DISTINCT id) FROM accounts")"
check "every row is in the shard owning its hash" "0" "$(misplaced_rows)"
check "the co-located notes are all there" "$notes_before" "$(router_sql "SELECT count(*) || ':' || sum(n) FROM notes")"
check "foreign keys: no tag is left without its account" "0" \
  "$(router_sql "SELECT count(*) FROM account_tags t LEFT JOIN accounts a USING (id) WHERE a.id IS NULL")"
check "foreign keys: every remaining account of 1..2000 kept its tag" \
  "$(router_sql "SELECT count(*) FROM accounts WHERE id <= 2000")" "$(router_sql "SELECT count(*) FROM account_tags")"
check "foreign keys: both keys on every account_tags shard, validated" \
  "$((2 * $(router_sql "SELECT count(*) FROM shale.shards WHERE table_name = 'account_tags'::regclass")))" "$(shard_foreign_keys)"
for missing in "999999, 1" "$(router_sql "SELECT min(id) FROM accounts"), 9"; do
  check_contains "foreign keys: a tag ($missing) without its parent row is refused on the new shards" \
    "violates foreign key constraint" "$(router_sql "INSERT INTO account_tags VALUES ($missing)" 2>&1)"
done
check "no replication leftovers" "0" "$(leftovers)"
check "no stray shard tables" "" "$(stray_tables)"
check "write blocks were short (ms, each < 1000)" "0" \
  "$(router_sql "SELECT count(*) FROM shale.operations WHERE write_block_ms >= 1000")"
echo "# write blocks (ms): $(router_sql "SELECT string_agg(write_block_ms::text, ', ' ORDER BY operation_id) FROM shale.operations")"

# two moves of the same shard at once: the second plans after the first finished, and finds it moved
total_before_race=$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")
shard=$(shard_on 1)
psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq -c "SELECT shale.move_shard($shard, 2)" > "$work/first.out" 2>&1 &
first=$!
psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq -c "SELECT shale.move_shard($shard, 2)" > "$work/second.out" 2>&1 &
second=$!
wait "$first" || true
wait "$second" || true
check "two moves at once: one moved the shard" "1" "$(cat "$work/first.out" "$work/second.out" | grep -c 'switched to the new shards')"
check "two moves at once: the other was refused" "1" "$(cat "$work/first.out" "$work/second.out" | grep -c 'already on worker group 2')"
finish_operations >/dev/null
check "two moves at once: the shard serves from group 2" "$total_before_race" "$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")"
check "two moves at once: no stray shard tables" "" "$(stray_tables)"

# ---------------------------------------------------------------- 2. kills and timeouts
total_before=$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")
router_backend_of() { router_sql "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT shale.move_shard%' AND pid <> pg_backend_pid()"; }
wait_for_phase() {
  local phase=$1 started=$SECONDS
  while [ "$(router_sql "SELECT count(*) FROM shale.operations WHERE phase = '$phase' AND finished_at IS NULL")" = 0 ]; do
    [ $((SECONDS - started)) -lt 30 ] || return 1
    sleep 0.1
  done
}
wait_for_router() {
  local started=$SECONDS
  until router_sql "SELECT 1" >/dev/null 2>&1; do [ $((SECONDS - started)) -lt 30 ] || return 1; sleep 0.2; done
}

# the router's backend killed (-9: the router node restarts) before the cutover, then after the switch
for fault in before_cutover after_switch; do
  shard=$(shard_on 1)
  phase=cutover
  [ "$fault" = after_switch ] && phase=switched
  psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq \
    -c "SET shale.fault_pause_$fault = '20s'" -c "SELECT shale.move_shard($shard, 2)" >/dev/null 2>&1 &
  mover=$!
  wait_for_phase "$phase"
  kill -9 "$(router_backend_of)"
  wait "$mover" || true
  wait_for_router
  check "router killed ($fault): the shard stayed on its group" "1" "$(router_sql "SELECT group_id FROM shale.shards WHERE shard_id = $shard")"
  check "router killed ($fault): clean-up rolls it back" "0" "$(finish_operations)"
  check "router killed ($fault): recorded as rolled back" "rolled_back" \
    "$(router_sql "SELECT phase FROM shale.operations ORDER BY operation_id DESC LIMIT 1")"
  check "router killed ($fault): no replication leftovers" "0" "$(leftovers)"
  check "router killed ($fault): no stray shard tables" "" "$(stray_tables)"
  check "router killed ($fault): data unchanged" "$total_before" "$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")"
done

# the target's postmaster killed during the copy
shard=$(shard_on 1)
key=$(router_sql "SELECT min(id) FROM accounts WHERE shale.shard_for('accounts', id) = $shard")
psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq \
  -c "SET shale.fault_pause_before_cutover = '4s'" -c "SELECT shale.move_shard($shard, 3)" > "$work/target_kill.out" 2>&1 &
mover=$!
wait_for_phase cutover
target_pid=$(head -n 1 "$(node_data_dir 3)/postmaster.pid")
kill -9 "$target_pid"
wait "$mover" || true
check_contains "target killed: the move fails with an error" "ERROR" "$(cat "$work/target_kill.out")"
check "target killed: the shard stayed on its group" "1" "$(router_sql "SELECT group_id FROM shale.shards WHERE shard_id = $shard")"
check "target killed: writes to the shard still work" "UPDATE 1" \
  "$(psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atc "UPDATE accounts SET note = 'after kill' WHERE id = $key")"
pg_ctl_as_owner start -w -D "$(node_data_dir 3)" -l "$CLUSTER_DIR/logs/group3-restart.log" >/dev/null
finish_operations >/dev/null
check "target killed: no replication leftovers once it is back" "0" "$(leftovers)"
check "target killed: no stray shard tables" "" "$(stray_tables)"
check "target killed: nothing left unfinished" "0" "$(router_sql "SELECT count(*) FROM shale.operations WHERE finished_at IS NULL")"

# the source's postmaster killed while the move waits to cut over: it fails quickly, never hangs
shard=$(shard_on 1)
total_before_source_kill=$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")
psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq \
  -c "SET shale.fault_pause_before_cutover = '3s'" -c "SELECT shale.move_shard($shard, 3)" > "$work/source_kill.out" 2>&1 &
mover=$!
wait_for_phase cutover
killed_at=$SECONDS
kill -9 "$(head -n 1 "$(node_data_dir 1)/postmaster.pid")"
wait "$mover" || true
echo "# source killed: the move ended $((SECONDS - killed_at)) s after the kill"
check_contains "source killed: the move fails with an error" "ERROR" "$(cat "$work/source_kill.out")"
check "source killed: the move gave up within 15 s" "yes" "$([ $((SECONDS - killed_at)) -le 15 ] && echo yes || echo no)"
pg_ctl_as_owner start -w -D "$(node_data_dir 1)" -l "$CLUSTER_DIR/logs/group1-restart.log" >/dev/null
finish_operations >/dev/null
check "source killed: the shard stayed on its group" "1" "$(router_sql "SELECT group_id FROM shale.shards WHERE shard_id = $shard")"
check "source killed: no replication leftovers once it is back" "0" "$(leftovers)"
check "source killed: no stray shard tables" "" "$(stray_tables)"
check "source killed: data unchanged" "$total_before_source_kill" "$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")"

# a long transaction writing the table: the cutover cannot block writes in time and gives up
router_sql "INSERT INTO accounts (id, balance) VALUES (99999999, 0)"
shard=$(shard_on 1)
psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq -c "SET shale.cutover_timeout = '300ms'" \
  -c "SET shale.fault_pause_before_cutover = '3s'" -c "SELECT shale.move_shard($shard, 2)" > "$work/blocked.out" 2>&1 &
mover=$!
wait_for_phase cutover
psql -h 127.0.0.1 -p "$ROUTER_PORT" -U postgres -Atq \
  -c "BEGIN" -c "UPDATE accounts SET note = 'long' WHERE id = 99999999" -c "SELECT pg_sleep(6)" -c "COMMIT" > "$work/holder.out" 2>&1 &
holder=$!
wait "$mover" || true
timeout_output=$(cat "$work/blocked.out")
check_contains "blocked cutover: a clear error" "could not block writes to the shards within shale.cutover_timeout" "$timeout_output"
check "blocked cutover: the shard stayed on its group" "1" "$(router_sql "SELECT group_id FROM shale.shards WHERE shard_id = $shard")"
check "blocked cutover: no replication leftovers" "0" "$(leftovers)"
check "blocked cutover: no stray shard tables" "" "$(stray_tables)"
wait "$holder"
check "blocked cutover: the long transaction committed" "long" "$(router_sql "SELECT note FROM accounts WHERE id = 99999999")"

# ---------------------------------------------------------------- 3. bad input
rows_before_bad_input=$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")
check_contains "unknown shard" "shard 1 does not exist" "$(router_sql "SELECT shale.move_shard(1, 2)" 2>&1 || true)"
shard=$(shard_on 1)
check_contains "same group" "already on worker group 1" "$(router_sql "SELECT shale.move_shard($shard, 1)" 2>&1 || true)"
check_contains "unknown group" "worker group 9 does not exist" "$(router_sql "SELECT shale.move_shard($shard, 9)" 2>&1 || true)"
check_contains "inside a transaction block" "cannot run inside a transaction block" \
  "$(router_sql "BEGIN; SELECT shale.move_shard($shard, 2); COMMIT" 2>&1 || true)"
check_contains "split point outside the shard" "is not inside shard" \
  "$(router_sql "SELECT shale.split_shard($shard, 9223372036854775807, ARRAY[2, 3])" 2>&1 || true)"
router_sql "CREATE TABLE no_key (id bigint, v int)"
router_sql "SELECT shale.distribute_table('no_key', 'id', 2)" >/dev/null
no_key_shard=$(router_sql "SELECT min(shard_id) FROM shale.shards WHERE table_name = 'no_key'::regclass")
check_contains "no replica identity" "has no replica identity" "$(router_sql "SELECT shale.move_shard($no_key_shard, 3)" 2>&1 || true)"
router_sql "CREATE TABLE lookup (code int PRIMARY KEY)"
router_sql "SELECT shale.make_reference_table('lookup')" >/dev/null
lookup_shard=$(router_sql "SELECT min(shard_id) FROM shale.shards WHERE table_name = 'lookup'::regclass")
check_contains "reference table" "belongs to reference table" "$(router_sql "SELECT shale.move_shard($lookup_shard, 3)" 2>&1 || true)"
check "bad input left nothing behind" "0" "$(leftovers)"
check "bad input: data unchanged" "$rows_before_bad_input" "$(router_sql "SELECT count(*) || ':' || sum(balance) FROM accounts")"
check "bad input: no operation was started" "0" "$(router_sql "SELECT count(*) FROM shale.operations WHERE finished_at IS NULL")"

finish_checks "multinode shard_moves"
