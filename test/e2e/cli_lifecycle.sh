#!/usr/bin/env bash
# cli_lifecycle.sh — end-to-end test of the shale CLI on real servers:
# up (new cluster) → URI works → status → catalog → replication to the router
# replica → up again changes nothing → down → up again keeps the data → down.
#
# Usage: test/e2e/cli_lifecycle.sh   (SHALE_BIN=/path/to/shale to test a build tree;
# SHALE_NO_EXTENSION=1 skips the catalog check, for clusters without the extension).
set -euo pipefail

SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
# free_port_from and random_base_port; this script keeps its own check helpers
source "$(dirname "$0")/../lib/cluster.sh"
PSQL=${PSQL:-psql}
passed=0
failed=0

work=$(mktemp -d /tmp/shale-e2e.XXXXXX)
dir="$work/cluster"

cleanup() {
  "$SHALE_BIN" down --dir "$dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
# check NAME COMMAND...: runs the command, records pass or fail.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# wait_for SECONDS COMMAND...: polls the command every 0.1 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.1
  done
}

# postmaster_pids: "datadir:pid" of every node with a postmaster.pid, sorted.
postmaster_pids() {
  local file
  for file in $(find "$dir" -name postmaster.pid | sort); do
    echo "$(dirname "$file"):$(head -1 "$file")"
  done
}

# pid_alive PID: the process exists and is not a zombie (an exited process whose
# parent, e.g. a container's init, has not reaped it yet).
pid_alive() {
  kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# no_postmaster_running: no postmaster.pid left and none of the old pids alive.
no_postmaster_running() {
  local entry
  [ -z "$(find "$dir" -name postmaster.pid)" ] || return 1
  for entry in $old_pids; do
    if pid_alive "${entry##*:}"; then return 1; fi
  done
}

sql() { "$PSQL" -X -A -t -q "$1" -c "$2"; }
replica_has_row() { [ "$(sql "$replica_conninfo" "SELECT count(*) FROM e2e_items WHERE note = 'replicated'" 2>/dev/null)" = "1" ]; }

port=$(free_port_from "$(random_base_port)")
echo "# shale: $SHALE_BIN, cluster dir: $dir, router port: $port"

# 1. A new cluster: the last line is the URI.
start_ns=$(date +%s%N)
up_output=$("$SHALE_BIN" up --dir "$dir" --port "$port") || { echo "$up_output"; fail "shale up creates a cluster"; exit 1; }
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "# first shale up took $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
uri=$(tail -n 1 <<<"$up_output")
uri_pattern="^postgres://postgres:[A-Za-z0-9]+@127\.0\.0\.1:$port(,127\.0\.0\.1:[0-9]+)*/postgres\?target_session_attrs=read-write\$"
check "shale up prints a URI as its last line" grep -qE "$uri_pattern" <<<"$uri"

# 2. The URI works.
check "psql connects through the URI" [ "$(sql "$uri" 'SELECT 1')" = "1" ]

# 3. Status: every node up, router and group rows.
status_is_all_up() {
  local output code=0 nodes ups
  output=$("$SHALE_BIN" status --dir "$dir") || code=$?
  nodes=$(grep -cE '^(router|group[0-9]+)-(primary|replica[0-9]+) ' <<<"$output" || true)
  ups=$(grep -cE '^(router|group[0-9]+)-(primary|replica[0-9]+) .* up ' <<<"$output" || true)
  if [ "$code" = 0 ] && [ "$nodes" = 6 ] && [ "$ups" = 6 ] && grep -q '^router-primary' <<<"$output" &&
    grep -q '^group2-replica1' <<<"$output"; then
    return 0
  fi
  echo "$output"
  return 1
}
check "shale status: exit 0, 6 nodes all up, router and group rows" status_is_all_up

# 4. The catalog lists every node.
if [ "${SHALE_NO_EXTENSION:-}" = "1" ]; then
  echo "skip - shale.nodes check (SHALE_NO_EXTENSION=1)"
else
  check "shale.nodes has 6 nodes" [ "$(sql "$uri" 'SELECT count(*) FROM shale.nodes')" = "6" ]
fi

# 5. A row written on the router reaches the router replica.
replica_port=$("$SHALE_BIN" status --dir "$dir" | awk '$1 == "router-replica1" { print $5 }')
replica_conninfo="host=127.0.0.1 port=$replica_port dbname=postgres user=postgres passfile=$dir/pgpass"
sql "$uri" "CREATE TABLE e2e_items (id int PRIMARY KEY, note text); INSERT INTO e2e_items VALUES (1, 'replicated')"
check "a row written on the router reaches the router replica" wait_for 15 replica_has_row

# 6. Running up again changes nothing.
old_pids=$(postmaster_pids)
old_daemon_pid=$(cat "$dir/shaled.pid")
second_uri=$("$SHALE_BIN" up --dir "$dir" | tail -n 1)
nothing_restarted() {
  [ "$second_uri" = "$uri" ] && [ "$(postmaster_pids)" = "$old_pids" ] &&
    [ "$(cat "$dir/shaled.pid")" = "$old_daemon_pid" ] && pid_alive "$old_daemon_pid"
}
check "shale up again: same URI, same postmasters and shaled" nothing_restarted

# 7. Down stops everything; down again is a no-op.
"$SHALE_BIN" down --dir "$dir" >/dev/null
everything_stopped() { no_postmaster_running && ! pid_alive "$old_daemon_pid"; }
already_down() { "$SHALE_BIN" down --dir "$dir" | grep -q 'already down'; }
status_fails() { ! "$SHALE_BIN" status --dir "$dir" >/dev/null; }
check "shale down stops every postmaster and shaled" everything_stopped
check "shale down again says it is already down" already_down
check "shale status exits 1 when the cluster is down" status_fails

# 8. Up again restarts the cluster with its data.
third_uri=$("$SHALE_BIN" up --dir "$dir" | tail -n 1)
check "shale up restarts a stopped cluster with the same URI" [ "$third_uri" = "$uri" ]
check "data survives down and up" [ "$(sql "$uri" 'SELECT note FROM e2e_items WHERE id = 1')" = "replicated" ]
check "shale status after restart: all up" status_is_all_up

# 9. Final down.
final_down() { "$SHALE_BIN" down --dir "$dir" >/dev/null && [ -z "$(find "$dir" -name postmaster.pid)" ]; }
check "final shale down" final_down

echo "e2e cli_lifecycle: $passed passed, $failed failed"
[ "$failed" = 0 ]
