#!/usr/bin/env bash
# query_failures.sh — queries on a distributed table through the router, against
# real failures: worker errors come back whole (SQLSTATE, message, detail, hint),
# a worker that is down is named quickly and spares the shards elsewhere, a
# statement timeout or cancel stops the remote work too, a worker killed in the
# middle of a multi-shard statement gives an error (no hang, no router crash),
# and transactions over two groups roll back or commit as one.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

work=$(mktemp -d /tmp/shale-query-failures.XXXXXX)
chmod 755 "$work"
session_pid=
background_pid=
cleanup() {
  if [ -n "$session_pid" ]; then
    exec 7>&- || true
    kill "$session_pid" 2>/dev/null || true
  fi
  if [ -n "$background_pid" ]; then kill "$background_pid" 2>/dev/null || true; fi
  cluster_stop
  rm -rf "$work"
}
trap cleanup EXIT
cluster_start "$work/cluster" --workers 2 --replicas 0
group1_port=$(node_port group1)
group2_port=$(node_port group2)
router_uri="postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres"

# router_verbose SQL: runs SQL on the router in a new session and prints
# everything it says, errors included, with SQLSTATEs (VERBOSITY verbose).
router_verbose() {
  psql "$router_uri" -X -q -A -t -v VERBOSITY=verbose -c "$1" 2>&1 || true
}
# router_script: the same for a script on stdin that goes on after an error.
router_script() {
  psql "$router_uri" -X -q -A -t -v VERBOSITY=verbose 2>&1 || true
}
now_ms() {
  local t=${EPOCHREALTIME/./}
  echo $((t / 1000))
}
# poll_until EXPECTED SECONDS COMMAND...: runs COMMAND until it prints EXPECTED or
# SECONDS pass; prints its last output.
poll_until() {
  local expected=$1 limit=$2
  shift 2
  local started=$SECONDS out
  while :; do
    out=$("$@" 2>&1 || true)
    [ "$out" = "$expected" ] && break
    [ $((SECONDS - started)) -ge "$limit" ] && break
    sleep 0.05
  done
  echo "$out"
}
# active_sleeps PORT: router connections on a worker running a statement with pg_sleep.
active_sleeps() {
  port_sql "$1" "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'shale:%' AND state = 'active' AND query LIKE '%pg_sleep%'"
}
active_sleeps_both() {
  echo "$(active_sleeps "$group1_port") $(active_sleeps "$group2_port")"
}
prepared_on_workers() {
  echo $(( $(port_sql "$group1_port" "SELECT count(*) FROM pg_prepared_xacts") \
         + $(port_sql "$group2_port" "SELECT count(*) FROM pg_prepared_xacts") ))
}
# start_group2: starts group 2's primary again. File descriptor 7 (the session's
# FIFO) is closed for it, or the postmaster would keep the FIFO open. Right after
# a kill -9 the old backends may still be leaving, so it tries for a while.
start_group2() {
  local started=$SECONDS
  until pg_ctl_as_owner -D "$(node_data_dir 2)" start -w -l "$CLUSTER_DIR/logs/group2-primary.log" >/dev/null 2>&1 7>&-; do
    if [ $((SECONDS - started)) -ge 30 ]; then
      echo "could not restart group 2" >&2
      return 1
    fi
    sleep 0.5
  done
}

# One long-lived router session, fed through a FIFO on file descriptor 7.
# session_send SQL writes statements; session_wait prints what they wrote.
session_seq=0
session_open() {
  mkfifo "$work/session.in"
  psql "$router_uri" -X -q -A -t -v VERBOSITY=verbose <"$work/session.in" >"$work/session.out" 2>&1 &
  session_pid=$!
  exec 7>"$work/session.in"
  printf '\\echo @@done-0@@\n' >&7
}
session_send() {
  session_seq=$((session_seq + 1))
  printf '%s\n\\echo @@done-%s@@\n' "$1" "$session_seq" >&7
}
session_wait() {
  local mark="@@done-$session_seq@@" prev="@@done-$((session_seq - 1))@@" started=$SECONDS
  until grep -qxF "$mark" "$work/session.out"; do
    if [ $((SECONDS - started)) -ge 60 ]; then
      echo "(no answer from the session within 60 s)"
      return 0
    fi
    sleep 0.05
  done
  awk -v prev="$prev" -v mark="$mark" '$0 == mark { exit } on { print } $0 == prev { on = 1 }' "$work/session.out"
}

router_sql "CREATE TABLE t (id bigint PRIMARY KEY, v int NOT NULL DEFAULT 0 CHECK (v >= 0), note text);
            INSERT INTO t SELECT g, 0, 'n' || g FROM generate_series(1, 100) g;
            SET client_min_messages = warning;
            SELECT shale.distribute_table('t', 'id', 8);" >/dev/null
# keys whose shard lives on each group, from the catalog tables (no worker contacted)
key_on_group() {
  router_sql "SELECT min(k) FROM generate_series($2, $3) k
              JOIN shale.placement p ON p.shard_id = shale.shard_for('t', k) WHERE p.group_id = $1"
}
shard_tables_on() {
  port_sql "$1" "SELECT count(*) FROM pg_class WHERE relname LIKE 't\_%' AND relkind = 'r'"
}
check "setup: four shards on each group" "4 4" "$(shard_tables_on "$group1_port") $(shard_tables_on "$group2_port")"
g1_key=$(key_on_group 1 1 100)
g2_key=$(key_on_group 2 1 100)
g2_new_key=$(key_on_group 2 101 200)
echo "# group 1 (port $group1_port) holds key $g1_key; group 2 (port $group2_port) holds keys $g2_key and $g2_new_key"

# 1. an error on a worker comes back with its SQLSTATE, message, detail and hint
out=$(router_verbose "INSERT INTO t VALUES ($g1_key, 1, 'dup')")
check_contains "unique violation: SQLSTATE and message" "ERROR:  23505: duplicate key value violates unique constraint \"t_pkey\"" "$out"
check_contains "unique violation: detail" "DETAIL:  Key (id)=($g1_key) already exists." "$out"
check_contains "unique violation: names the worker" "on worker node 127.0.0.1:$group1_port" "$out"
out=$(router_verbose "UPDATE t SET v = -1 WHERE id = $g2_key")
check_contains "check violation (UPDATE): SQLSTATE and message" "ERROR:  23514: new row for relation \"t\"" "$out"
check_contains "check violation (UPDATE): constraint" "violates check constraint \"t_v_check\"" "$out"
check_contains "check violation (UPDATE): detail" "DETAIL:  Failing row contains ($g2_key, -1, n$g2_key)." "$out"
check_contains "check violation (UPDATE): names the worker" "on worker node 127.0.0.1:$group2_port" "$out"
out=$(router_verbose "INSERT INTO t VALUES ($g2_new_key, -5, 'bad')")
check_contains "check violation (INSERT): SQLSTATE" "ERROR:  23514: new row for relation \"t\"" "$out"
check_contains "check violation (INSERT): detail" "DETAIL:  Failing row contains ($g2_new_key, -5, bad)." "$out"
check "failed statements changed nothing" "0|n$g2_key|0" \
  "$(router_sql "SELECT (SELECT v FROM t WHERE id = $g2_key) || '|' || (SELECT note FROM t WHERE id = $g2_key) || '|' || (SELECT count(*) FROM t WHERE id = $g2_new_key)")"
check_contains "division by zero on a worker: shard SQL carries it" "(1 / (id - id))" \
  "$(router_sql "EXPLAIN SELECT 1/(id-id) FROM t WHERE id = $g1_key")"
out=$(router_verbose "SELECT 1/(id-id) FROM t WHERE id = $g1_key")
check_contains "division by zero on a worker: SQLSTATE" "ERROR:  22012: division by zero" "$out"
check_contains "division by zero on a worker: names the worker" "on worker node 127.0.0.1:$group1_port" "$out"
out=$(router_verbose "SELECT format(note || ' %z') FROM t WHERE id = $g1_key")
check_contains "built-in error with a hint: SQLSTATE" "ERROR:  22023: unrecognized format() type specifier \"z\"" "$out"
check_contains "built-in error with a hint: hint" "HINT:  For a single \"%\" use \"%%\"." "$out"
# a trigger on the worker's shard table raises with its own SQLSTATE, detail and hint
g1_shard=$(router_sql "SELECT shale.shard_for('t', $g1_key)")
port_sql "$group1_port" "CREATE FUNCTION public.qf_refuse() RETURNS trigger LANGUAGE plpgsql AS \$f\$
  BEGIN
    RAISE EXCEPTION 'note % refused by the worker', NEW.note
      USING ERRCODE = 'QF001', DETAIL = 'detail from the worker', HINT = 'hint from the worker';
  END \$f\$;
  CREATE TRIGGER qf_refuse BEFORE UPDATE ON public.t_$g1_shard FOR EACH ROW
    WHEN (NEW.note = 'refused') EXECUTE FUNCTION public.qf_refuse();" >/dev/null
out=$(router_verbose "UPDATE t SET note = 'refused' WHERE id = $g1_key")
check_contains "worker-raised error: SQLSTATE and message" "ERROR:  QF001: note refused refused by the worker" "$out"
check_contains "worker-raised error: detail" "DETAIL:  detail from the worker" "$out"
check_contains "worker-raised error: hint" "HINT:  hint from the worker" "$out"
check_contains "worker-raised error: names the worker" "on worker node 127.0.0.1:$group1_port" "$out"
port_sql "$group1_port" "DROP TRIGGER qf_refuse ON public.t_$g1_shard; DROP FUNCTION public.qf_refuse()" >/dev/null
check "worker-raised error: row unchanged" "n$g1_key" "$(router_sql "SELECT note FROM t WHERE id = $g1_key")"

# 2. a worker that is down
session_open
session_send "SET shale.connect_timeout = 2000;
SELECT pg_backend_pid();
SELECT count(*) FROM t;"
out=$(session_wait)
session_backend=$(echo "$out" | head -n 1)
check "long session: reads every shard" "100" "$(echo "$out" | tail -n 1)"

pg_ctl_as_owner -D "$(node_data_dir 2)" stop -m immediate >/dev/null
started=$(now_ms)
out=$(router_verbose "SET shale.connect_timeout = 2000; SELECT count(*) FROM t")
elapsed=$(($(now_ms) - started))
check_contains "down worker: all-shard query names the node" "could not connect to worker node 127.0.0.1:$group2_port (group 2)" "$out"
check_contains "down worker: SQLSTATE 08006" "ERROR:  08006:" "$out"
check "down worker: fails within 10 s" "yes" "$([ "$elapsed" -lt 10000 ] && echo yes || echo "no (${elapsed} ms)")"
check "down worker: a key on group 1 still reads" "n$g1_key" \
  "$(router_sql "SET shale.connect_timeout = 2000; SELECT note FROM t WHERE id = $g1_key" 2>&1 || true)"
out=$(router_verbose "SET shale.connect_timeout = 2000; INSERT INTO t VALUES ($g2_new_key, 0, 'new')")
check_contains "down worker: INSERT of a key on group 2 names the node" "could not connect to worker node 127.0.0.1:$group2_port" "$out"
out=$(router_verbose "SET shale.connect_timeout = 2000; UPDATE t SET v = v + 1")
check_contains "down worker: all-shard UPDATE names the node" "127.0.0.1:$group2_port" "$out"
check "down worker: the failed UPDATE left group 1 unchanged" "0" \
  "$(router_sql "SELECT v FROM t WHERE id = $g1_key" 2>&1 || true)"
session_send "SELECT note FROM t WHERE id = $g1_key;"
check "down worker: the long session still reads a key on group 1" "n$g1_key" "$(session_wait)"

start_group2
check "restarted worker: a new session reads every shard" "100" "$(router_sql "SELECT count(*) FROM t" 2>&1 || true)"
check "restarted worker: the failed INSERT left nothing" "0" "$(router_sql "SELECT count(*) FROM t WHERE id = $g2_new_key")"
# the long session used group 2 before it went down; its first statement since is
# the interesting one
session_send "SELECT count(*) FROM t;"
check "restarted worker: the long session's first all-shard query works" "100" "$(session_wait)"
session_send "SELECT count(*) FROM t;
SELECT pg_backend_pid();"
check "restarted worker: the long session works again" "$(printf '100\n%s' "$session_backend")" "$(session_wait)"

# 3. statement timeout and cancel stop the remote work
sleep_sql="SELECT * FROM t WHERE id = $g1_key AND (SELECT pg_sleep(30)) IS NOT NULL"
plan=$(router_sql "EXPLAIN $sleep_sql" 2>&1 || true)
check_contains "timeout: the sleep is sent to group 1" "Node: 127.0.0.1:$group1_port" "$plan"
check_contains "timeout: the shard SQL carries the sleep" "pg_sleep" "$(echo "$plan" | sed -n '/Shard SQL/,$p')"
session_send "SET statement_timeout = '1s';
$sleep_sql;
RESET statement_timeout;"
started=$(now_ms)
seen=$(poll_until 1 3 active_sleeps "$group1_port")
out=$(session_wait)
elapsed=$(($(now_ms) - started))
check "timeout: the worker was sleeping" "1" "$seen"
check_contains "timeout: SQLSTATE 57014" "ERROR:  57014: canceling statement due to statement timeout" "$out"
check "timeout: within 4 s" "yes" "$([ "$elapsed" -lt 4000 ] && echo yes || echo "no (${elapsed} ms)")"
check "timeout: no leftover sleep on the worker" "0" "$(poll_until 0 5 active_sleeps "$group1_port")"
session_send "SELECT note FROM t WHERE id = $g1_key;"
check "timeout: the same session works afterwards" "n$g1_key" "$(session_wait)"

# a cancel (Ctrl-C, here pg_cancel_backend) of an UPDATE running on every shard
session_send "UPDATE t SET v = v + 1 WHERE pg_sleep(0.5) IS NOT NULL;"
seen=$(poll_until "1 1" 5 active_sleeps_both)
check "cancel: both workers were running the UPDATE" "1 1" "$seen"
started=$(now_ms)
router_sql "SELECT pg_cancel_backend($session_backend)" >/dev/null
out=$(session_wait)
elapsed=$(($(now_ms) - started))
check_contains "cancel: SQLSTATE 57014" "ERROR:  57014: canceling statement due to user request" "$out"
check "cancel: within 4 s" "yes" "$([ "$elapsed" -lt 4000 ] && echo yes || echo "no (${elapsed} ms)")"
check "cancel: no leftover UPDATE on group 1" "0" "$(poll_until 0 5 active_sleeps "$group1_port")"
check "cancel: no leftover UPDATE on group 2" "0" "$(poll_until 0 5 active_sleeps "$group2_port")"
session_send "SELECT sum(v) FROM t;"
check "cancel: the UPDATE rolled back everywhere, same session works" "0" "$(session_wait)"

# 4. a worker killed in the middle of a multi-shard statement. Each shard's
# UPDATE sleeps 2 s per row on its worker, so group 1's first shard alone takes
# about 20 s: an error within 15 s shows that the router noticed the dead worker
# while group 1 was still busy, and did not wait for group 1 to finish.
(psql "$router_uri" -X -q -A -t -v VERBOSITY=verbose -c "UPDATE t SET v = v + 1 WHERE pg_sleep(2) IS NOT NULL" \
   >"$work/killed.out" 2>&1 && status=0 || status=$?; echo "exit $status" >>"$work/killed.out") 7>&- &
background_pid=$!
seen=$(poll_until 1 10 active_sleeps "$group2_port")
check "kill -9: group 2 was running the UPDATE" "1" "$seen"
postmaster_pid=$(head -n 1 "$(node_data_dir 2)/postmaster.pid")
kill -9 "$postmaster_pid"
started=$(now_ms)
until grep -q '^exit ' "$work/killed.out" || [ $(($(now_ms) - started)) -ge 15000 ]; do sleep 0.05; done
if ! grep -q '^exit ' "$work/killed.out"; then
  echo "# after 15 s the statement still runs; router connections on group 1:"
  port_sql "$group1_port" "SELECT pid, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity WHERE application_name LIKE 'shale:%'" | sed 's/^/#   /'
  until grep -q '^exit ' "$work/killed.out" || [ $(($(now_ms) - started)) -ge 90000 ]; do sleep 0.05; done
fi
elapsed=$(($(now_ms) - started))
out=$(cat "$work/killed.out")
if grep -q '^exit ' "$work/killed.out"; then background_pid=; fi
echo "# statement ended ${elapsed} ms after the kill"
check "kill -9: the statement returns within 15 s" "yes" "$([ "$elapsed" -lt 15000 ] && echo yes || echo "no (${elapsed} ms)")"
check_contains "kill -9: the statement fails" "ERROR:  08006:" "$out"
check_contains "kill -9: the error names the node" "worker node 127.0.0.1:$group2_port" "$out"
check "kill -9: no leftover UPDATE on group 1" "0" "$(poll_until 0 5 active_sleeps "$group1_port")"
check "kill -9: the router still answers" "1" "$(router_sql "SELECT 1" 2>&1 || true)"
check "kill -9: no router backend crashed" "0" "$(grep -c 'terminated by signal' "$CLUSTER_DIR/logs/router-primary.log" || true)"
start_group2
check "kill -9: restarted, every row readable" "100" "$(router_sql "SELECT count(*) FROM t" 2>&1 || true)"
check "kill -9: the UPDATE rolled back on both groups" "0" "$(router_sql "SELECT sum(v) FROM t" 2>&1 || true)"
check "kill -9: no prepared transaction left" "0" "$(prepared_on_workers)"
session_send "SELECT count(*) FROM t;"
session_wait >/dev/null # the session's connection to group 2 died with it: see section 2
session_send "SELECT count(*) FROM t;"
check "kill -9: the long session works again" "100" "$(session_wait)"

# 5. transactions over two groups
router_sql "BEGIN;
            UPDATE t SET note = 'rolled back' WHERE id = $g1_key;
            UPDATE t SET note = 'rolled back' WHERE id = $g2_key;
            ROLLBACK;"
check "ROLLBACK: neither change persists" "n$g1_key n$g2_key" \
  "$(router_sql "SELECT string_agg(note, ' ' ORDER BY id = $g2_key) FROM t WHERE id IN ($g1_key, $g2_key)")"
check "ROLLBACK: no prepared transaction left" "0" "$(poll_until 0 5 prepared_on_workers)"
router_sql "BEGIN;
            UPDATE t SET note = 'committed' WHERE id = $g1_key;
            UPDATE t SET note = 'committed' WHERE id = $g2_key;
            COMMIT;"
check "COMMIT: both changes persist" "committed committed" \
  "$(router_sql "SELECT string_agg(note, ' ' ORDER BY id = $g2_key) FROM t WHERE id IN ($g1_key, $g2_key)")"
check "COMMIT: no prepared transaction left" "0" "$(poll_until 0 5 prepared_on_workers)"
check "COMMIT: the change is on the workers" "committed committed" \
  "$(port_sql "$group1_port" "SELECT note FROM t_$g1_shard WHERE id = $g1_key") $(port_sql "$group2_port" "SELECT note FROM t_$(router_sql "SELECT shale.shard_for('t', $g2_key)") WHERE id = $g2_key")"
out=$(router_script <<EOF
BEGIN;
UPDATE t SET note = 'lost' WHERE id = $g2_key;
INSERT INTO t VALUES ($g1_key, 0, 'dup');
SELECT 'after the error';
COMMIT;
EOF
)
check_contains "error in a transaction: the worker's error" "ERROR:  23505: duplicate key value" "$out"
check_contains "error in a transaction: the rest is refused" "ERROR:  25P02: current transaction is aborted" "$out"
check "error in a transaction: the UPDATE on the other group rolled back" "committed" \
  "$(router_sql "SELECT note FROM t WHERE id = $g2_key")"
check "error in a transaction: no prepared transaction left" "0" "$(poll_until 0 5 prepared_on_workers)"
session_send "BEGIN;
UPDATE t SET note = 'lost too' WHERE id = $g1_key;
UPDATE t SET v = -1 WHERE id = $g2_key;
COMMIT;
SELECT note FROM t WHERE id = $g1_key;"
out=$(session_wait)
check_contains "error in a long session's transaction: the check violation" "ERROR:  23514:" "$out"
check "error in a long session's transaction: rolled back, session usable" "committed" "$(echo "$out" | tail -n 1)"

exec 7>&-
wait "$session_pid" || true
session_pid=
finish_checks "multinode query_failures"
