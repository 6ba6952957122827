# failover.sh — helpers for failover tests and benchmarks (source after cluster.sh).
# A write client records every acknowledged commit; a node is killed by the pid
# in its own data directory's postmaster.pid, never by process name.

PYTHON=${PYTHON:-/usr/bin/python3}  # the system python has python3-psycopg2
FAILOVER_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# data_dir_of_port PORT: the data directory of the local node on PORT (cluster.json).
data_dir_of_port() {
  "$PYTHON" -c 'import json,sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    if n["port"] == int(sys.argv[2]): print(n["data_dir"])' "$CLUSTER_DIR/cluster.json" "$1"
}

# primary_port GROUP: the port of the group's primary in the catalog (0 = router).
primary_port() {
  psql "$CLUSTER_URI" -X -q -A -t -c "SELECT port FROM shale.nodes WHERE group_id = $1 AND role = 'primary'"
}

# uri_sql SQL: runs SQL through the multi-host URI (whichever router node is primary).
uri_sql() {
  psql "$CLUSTER_URI" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# kill_postmaster PORT: kill -9 the postmaster of the node on PORT; prints the
# time of the kill (seconds since the epoch, with fractions).
kill_postmaster() {
  local dir pid
  dir=$(data_dir_of_port "$1")
  pid=$(head -n 1 "$dir/postmaster.pid")
  date +%s.%N
  kill -9 "$pid"
}

# start_writer TABLE DIR: the write client in the background, files in DIR.
start_writer() {
  WRITER_DIR=$2
  rm -f "$WRITER_DIR/stop" "$WRITER_DIR/acks"
  touch "$WRITER_DIR/acks"
  "$PYTHON" "$FAILOVER_LIB_DIR/write_client.py" "$CLUSTER_URI" "$1" "$WRITER_DIR/acks" "$WRITER_DIR/stop" \
    2>"$WRITER_DIR/writer.err" &
  WRITER_PID=$!
}

stop_writer() {
  touch "$WRITER_DIR/stop"
  wait "$WRITER_PID" 2>/dev/null || true
}

# ack_count: acknowledged commits so far.
ack_count() {
  wc -l <"$WRITER_DIR/acks"
}

# wait_for_acks N TIMEOUT: waits until at least N commits were acknowledged.
wait_for_acks() {
  local started=$SECONDS
  while [ "$(ack_count)" -lt "$1" ] && [ $((SECONDS - started)) -lt "$2" ]; do sleep 0.1; done
  [ "$(ack_count)" -ge "$1" ]
}

# first_ack_after TIME: time of the first acknowledged commit after the last
# failed write that followed TIME (the end of the outage), or "" if none.
first_ack_after() {
  "$PYTHON" - "$1" "$WRITER_DIR/acks" "$WRITER_DIR/writer.err" <<'PY'
import sys
kill = float(sys.argv[1])
errors = [float(line.split()[0]) for line in open(sys.argv[3]) if line[:1].isdigit()]
errors = [t for t in errors if t >= kill]
last_error = max(errors) if errors else kill
acks = [float(line.split()[1]) for line in open(sys.argv[2]) if line.strip()]
after = [t for t in acks if t > last_error]
print(f"{min(after):.3f}" if after else "")
PY
}

# missing_acked_rows TABLE: acknowledged ids that are not in TABLE (count).
missing_acked_rows() {
  comm -23 <(awk '{print $1}' "$WRITER_DIR/acks" | sort) <(uri_sql "SELECT id FROM $1" | sort) | wc -l
}

# wait_for_sql SQL EXPECTED TIMEOUT: polls SQL through the URI until it prints EXPECTED.
wait_for_sql() {
  local started=$SECONDS
  while [ $((SECONDS - started)) -lt "$3" ]; do
    [ "$(uri_sql "$1" 2>/dev/null)" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

# prepared_count PORT: prepared transactions on the node on PORT.
prepared_count() {
  port_sql "$1" "SELECT count(*) FROM pg_prepared_xacts"
}

# wait_cluster_healthy TIMEOUT: waits until every node answered shaled's last
# check, no fenced node waits to rejoin, and every primary with a replica has a
# synchronous standby again (so the next kill starts from a whole cluster).
wait_cluster_healthy() {
  local started=$SECONDS port ok
  while [ $((SECONDS - started)) -lt "$1" ]; do
    ok=$(uri_sql "SELECT (SELECT count(*) FROM shale.node) = (SELECT count(*) FROM shale.node_health
                   WHERE reachable AND checked_at > now() - interval '3 seconds')
                  AND NOT EXISTS (SELECT 1 FROM shale.event f JOIN shale.node n USING (node_id)
                   WHERE f.kind = 'fenced' AND n.role = 'replica' AND NOT EXISTS (SELECT 1 FROM shale.event r
                   WHERE r.node_id = f.node_id AND r.kind IN ('rejoined', 'rejoin_failed') AND r.event_id > f.event_id))" \
         2>/dev/null || echo f)
    if [ "$ok" = t ]; then
      ok=yes
      for port in $(uri_sql "SELECT port FROM shale.nodes WHERE role = 'primary'"); do
        [ -n "$(port_sql "$port" "SHOW synchronous_standby_names" 2>/dev/null)" ] || ok=no
      done
      [ "$ok" = yes ] && return 0
    fi
    sleep 0.5
  done
  return 1
}

# check_failover_under_writes GROUP WHAT: the part every primary-kill test shares.
# With a write client recording acknowledged commits into table `writes`, it
# kill -9s the primary of GROUP (0 = router; WHAT names it in messages), then
# checks that a replica took over, every acknowledged commit is there, writes
# resumed within 8 s, the events came in order, and the old primary rejoined.
# Sets old_port, new_port and old_node for the caller's own checks.
check_failover_under_writes() {
  local group=$1 what=$2 killed_at acks_at_promotion resumed_at
  old_port=$(primary_port "$group")
  start_writer writes "$work"
  wait_for_acks 50 20 || { echo "the write client does not write"; cat "$work/writer.err"; exit 1; }

  killed_at=$(kill_postmaster "$old_port")
  echo "# killed the $what primary (port $old_port)"
  wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = $group" 1 30 || true
  acks_at_promotion=$(ack_count)
  wait_for_acks $((acks_at_promotion + 100)) 20 || true
  stop_writer
  resumed_at=$(first_ack_after "$killed_at")
  if [ -n "$resumed_at" ]; then
    echo "# kill -9 -> first acknowledged write after the outage: $("$PYTHON" -c "print(round($resumed_at - $killed_at, 2))") s"
  fi

  new_port=$(primary_port "$group")
  check "a replica became the $what primary" "yes" "$([ "$new_port" != "$old_port" ] && echo yes || echo no)"
  check "every acknowledged commit is present" "0" "$(missing_acked_rows writes)"
  check "writes resumed through the same URI" "yes" "$([ -n "$resumed_at" ] && echo yes || echo no)"
  check "failover in under 8 s" "yes" \
    "$("$PYTHON" -c "print('yes' if '$resumed_at' and float('$resumed_at') - $killed_at < 8 else 'no')")"
  check "events suspected, fenced, promoted recorded in order" "suspected fenced promoted" \
    "$(uri_sql "SELECT string_agg(kind, ' ' ORDER BY event_id) FROM shale.event
                WHERE group_id = $group AND kind IN ('suspected', 'fenced', 'promoted')")"

  # the old primary comes back only as a replica (rewound by shaled)
  old_node=$(uri_sql "SELECT node_id FROM shale.nodes WHERE port = $old_port")
  wait_for_sql "SELECT count(*) FROM shale.event WHERE node_id = $old_node AND kind IN ('rejoined', 'rejoin_failed')" 1 60 || true
  check "the old $what primary rejoined" "rejoined" \
    "$(uri_sql "SELECT kind FROM shale.event WHERE node_id = $old_node AND kind IN ('rejoined', 'rejoin_failed')")"
  check "the old $what primary runs in recovery" "t" "$(port_sql "$old_port" "SELECT pg_is_in_recovery()" 2>&1)"
}
