#!/usr/bin/env bash
# commit_crashes.sh — kill -9 at each step of a two-phase commit across two
# worker groups; afterwards no transaction is half committed and no prepared
# transaction is left behind (shaled's 2PC recovery finishes them):
#   A. the router backend dies after PREPARE, before its commit record → rolled back
#   B. the router backend dies after its local commit, before COMMIT PREPARED → committed
#   C. a worker dies after PREPARE; it restarts while the router commits → committed
#   D. a worker freezes (SIGSTOP) before COMMIT PREPARED → the COMMIT returns within
#      shale.remote_commit_timeout with a WARNING; recovery commits it once the worker thaws
#   E. the router's postmaster is killed during the commit → the backend finishes
#      without a PANIC (no exit in the middle of a commit); recovery commits the rest
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
with_test_cluster crash --workers 2 --replicas 0
group1_port=$(node_port group1)
group2_port=$(node_port group2)

router_sql "CREATE TABLE pairs (id bigint PRIMARY KEY, v int);
            INSERT INTO pairs SELECT g, 0 FROM generate_series(1, 50) g;
            SELECT shale.distribute_table('pairs', 'id', 8);" >/dev/null
first=$(key_on_group pairs 1)
second=$(key_on_group pairs 2)

prepared_count() {
  echo $(( $(port_sql "$group1_port" "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shale\_%'" 2>/dev/null || echo 0) \
         + $(port_sql "$group2_port" "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shale\_%'" 2>/dev/null || echo 0) ))
}
# wait_until SECONDS COMMAND…: polls every 0.2 s
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}
both_prepared() { [ "$(prepared_count)" = 2 ]; }
none_prepared() { [ "$(prepared_count)" = 0 ]; }
router_answers() { router_sql "SELECT 1" >/dev/null 2>&1; }
values_are() { [ "$(router_sql "SELECT string_agg(v::text, ',' ORDER BY id) FROM pairs WHERE id IN ($first, $second)" 2>/dev/null)" = "$1" ]; }
backend_of() { router_sql "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'"; }

# two-group transaction in the background, paused by a fault setting
start_transfer() { # NAME SETTING VALUE
  PGAPPNAME=$1 psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q \
    -c "SET $2 = $3" -c "BEGIN; UPDATE pairs SET v = $4 WHERE id = $first; UPDATE pairs SET v = $4 WHERE id = $second; COMMIT;" \
    > "$work/$1.out" 2>&1 &
}

# A
start_transfer crash_a shale.fault_pause_after_prepare 60000 1
wait_until 15 both_prepared || true
check "A: both groups prepared" "2" "$(prepared_count)"
kill -9 "$(backend_of crash_a)"
wait_until 30 router_answers || true
wait_until 30 none_prepared || true
check "A: no prepared transaction left" "0" "$(prepared_count)"
check "A: rolled back on both groups" "0,0" "$(router_sql "SELECT string_agg(v::text, ',' ORDER BY id) FROM pairs WHERE id IN ($first, $second)")"

# B
b_started=$(router_sql "SELECT now()")
records_since_b() { router_sql "SELECT count(*) FROM shale.commit_record WHERE created_at >= '$b_started'"; }
start_transfer crash_b shale.fault_pause_after_local_commit 60000 2
wait_until 15 both_prepared || true
wait_until 15 test "$(records_since_b 2>/dev/null)" != 0 || true
# (shaled may already be finishing them: they are over 2 s old and their router transaction ended)
check "B: the router committed (its commit record exists)" "1" "$(records_since_b)"
kill -9 "$(backend_of crash_b)"
wait_until 30 router_answers || true
wait_until 30 none_prepared || true
check "B: no prepared transaction left" "0" "$(prepared_count)"
check "B: committed on both groups" "2,2" "$(router_sql "SELECT string_agg(v::text, ',' ORDER BY id) FROM pairs WHERE id IN ($first, $second)")"

# C
start_transfer crash_c shale.fault_pause_after_prepare 8000 3
transfer=$!
wait_until 15 both_prepared || true
check "C: both groups prepared" "2" "$(prepared_count)"
kill -9 "$(head -n 1 "$(node_data_dir 2)/postmaster.pid")"
# the killed postmaster's backends exit when they notice; until then the server cannot start again
start_group2() { pg_ctl_as_owner -D "$(node_data_dir 2)" start -w -l "$CLUSTER_DIR/logs/group2-primary.log" >/dev/null 2>&1; }
wait_until 30 start_group2 || true
wait "$transfer" || true
wait_until 30 none_prepared || true
check "C: no prepared transaction left" "0" "$(prepared_count)"
check "C: committed on both groups" "3,3" "$(router_sql "SELECT string_agg(v::text, ',' ORDER BY id) FROM pairs WHERE id IN ($first, $second)")"

# D
group2_pid=$(head -n 1 "$(node_data_dir 2)/postmaster.pid")
# every process of group 2's primary: its postmaster and the postmaster's children
group2_processes() { echo "$group2_pid" $(cat /proc/"$group2_pid"/task/*/children 2>/dev/null); }
d_started=$(date +%s%N)
PGAPPNAME=crash_d psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q \
  -c "SET shale.fault_pause_after_local_commit = 1500" -c "SET shale.remote_commit_timeout = 1000" \
  -c "BEGIN; UPDATE pairs SET v = 4 WHERE id = $first; UPDATE pairs SET v = 4 WHERE id = $second; COMMIT;" \
  > "$work/crash_d.out" 2>&1 &
transfer=$!
wait_until 15 both_prepared || true
kill -STOP $(group2_processes)
wait "$transfer" || true
d_ms=$(( ($(date +%s%N) - d_started) / 1000000 ))
kill -CONT $(group2_processes)
check "D: the COMMIT came back within the pause, the timeout and a margin" "yes" "$([ "$d_ms" -lt 6000 ] && echo yes || echo "no: $d_ms ms")"
check_contains "D: the client was told which worker did not answer" "gave up on \"COMMIT PREPARED" "$(cat "$work/crash_d.out")"
wait_until 30 none_prepared || true
wait_until 30 values_are "4,4" || true
check "D: committed on both groups once the worker thawed" "4,4" "$(router_sql "SELECT string_agg(v::text, ',' ORDER BY id) FROM pairs WHERE id IN ($first, $second)")"

# E
router_pid=$(head -n 1 "$(node_data_dir 0)/postmaster.pid")
PGAPPNAME=crash_e psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q \
  -c "SET shale.fault_pause_after_local_commit = 1500" \
  -c "BEGIN; UPDATE pairs SET v = 5 WHERE id = $first; UPDATE pairs SET v = 5 WHERE id = $second; COMMIT;" \
  > "$work/crash_e.out" 2>&1 &
transfer=$!
wait_until 15 both_prepared || true
kill -9 "$router_pid"
wait "$transfer" || true
check "E: no PANIC reached the client" "" "$(grep -o PANIC "$work/crash_e.out" || true)"
check "E: no PANIC in the router's log" "" "$(grep -o 'PANIC' "$CLUSTER_DIR/logs/router-primary.log" || true)"
# the orphaned backends exit when they notice; then the router starts again
start_router() { pg_ctl_as_owner -D "$(node_data_dir 0)" start -w -l "$CLUSTER_DIR/logs/router-primary.log" >/dev/null 2>&1; }
wait_until 30 start_router || true
wait_until 30 router_answers || true
wait_until 30 none_prepared || true
wait_until 30 values_are "5,5" || true
check "E: committed on both groups after the router came back" "5,5" "$(router_sql "SELECT string_agg(v::text, ',' ORDER BY id) FROM pairs WHERE id IN ($first, $second)")"

finish_checks "multinode commit_crashes"
