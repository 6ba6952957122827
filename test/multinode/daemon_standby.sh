#!/usr/bin/env bash
# daemon_standby.sh — standby daemons: two more shaled started against the same
# cluster wait as standbys (their HTTP APIs serve with shale_daemon_active 0).
# Standby B has a port of its own; standby C uses the cluster's shaled.conf as
# is, so its HTTP port is the active daemon's and it keeps retrying to bind it.
# When the active shaled is killed with kill -9, one standby takes over within a
# few seconds, C takes the cluster's API port over, and the events and node
# states the new active daemon records keep showing up in the API.
#
# Usage: test/multinode/daemon_standby.sh   (SHALE_BIN=/path/to/shale for a build tree)
set -euo pipefail
source "$(dirname "$0")/../lib/cluster.sh"

SHALED_BIN=${SHALED_BIN:-$(dirname "$SHALE_BIN")/shaled}
with_test_cluster daemon-standby --workers 1 --replicas 0

standby_pids=()
# stop_standbys ends the shaled processes this script started (by their pids).
stop_standbys() {
  local pid
  for pid in "${standby_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap 'stop_standbys; cluster_stop; rm -rf "$work"' EXIT

first_pid=$(cat "$CLUSTER_DIR/shaled.pid")
cluster_api=$("$SHALE_BIN" status --dir "$CLUSTER_DIR" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -1 || true)
b_port=$(free_port_from $((${cluster_api##*:} + 1)))
b_api="http://127.0.0.1:$b_port"
echo "# cluster $CLUSTER_DIR; active shaled $first_pid at $cluster_api; standby B at $b_api"

# Both standbys use the cluster's own config file; flags override B's port and the logs.
"$SHALED_BIN" --config "$CLUSTER_DIR/shaled.conf" --http-port "$b_port" --log-file "$work/b.log" &
b_pid=$!
standby_pids+=("$b_pid")
"$SHALED_BIN" --config "$CLUSTER_DIR/shaled.conf" --log-file "$work/c.log" &
c_pid=$!
standby_pids+=("$c_pid")

# wait_until SECONDS COMMAND...: polls the command every 0.1 s until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.1
  done
}

# metric API NAME: the value of an unlabelled metric ("" when unavailable).
metric() {
  curl -s --max-time 5 "$1/metrics" 2>/dev/null | awk -v name="$2" '$1 == name { print $2 }'
}
# json_eval URL EXPRESSION: a Python expression over the JSON document d.
json_eval() {
  curl -s --max-time 5 "$1" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" \
    2>/dev/null || echo "UNAVAILABLE"
}

both_wait() { grep -q 'standby: another shaled is active' "$work/b.log" "$work/c.log" 2>/dev/null &&
  [ "$(grep -l 'standby: another shaled is active' "$work/b.log" "$work/c.log" | wc -l)" = 2 ]; }
b_serves() { [ "$(metric "$b_api" shale_daemon_active)" = 0 ]; }
c_retries() { grep -q "cannot listen on 127.0.0.1:${cluster_api##*:}" "$work/c.log" 2>/dev/null; }
# show_standby_logs prints the end of both standby logs (for a failed check).
show_standby_logs() {
  local name
  for name in b c; do
    echo "# --- $name.log (pid $([ $name = b ] && echo "$b_pid" || echo "$c_pid"))"
    tail -n 8 "$work/$name.log" 2>/dev/null | sed 's/^/#   /'
  done
}
check "both standbys say another shaled is active" ok "$(wait_until 15 both_wait && echo ok || echo no)"
both_wait || show_standby_logs
check "standby B serves /metrics with shale_daemon_active 0" ok "$(wait_until 10 b_serves && echo ok || echo no)"
check "standby C finds the API port taken and retries" ok "$(wait_until 10 c_retries && echo ok || echo no)"
check "the first shaled still answers on the cluster's port, active" 1 "$(metric "$cluster_api" shale_daemon_active)"
check "standby B names the active shaled's pid" "$first_pid" "$(json_eval "$b_api/v1/cluster" 'd["daemon"]["active_pid"]')"
check "standby B runs no health rounds" 0 "$(metric "$b_api" shale_daemon_health_rounds_total)"

# kill -9 the active daemon: its router session ends and the lock is free; B or C wins it.
start_ns=$(date +%s%N)
kill -9 "$first_pid"
new_pid=""
someone_active() {
  new_pid=$(json_eval "$b_api/v1/cluster" 'd["daemon"]["active_pid"]')
  [ "$new_pid" = "$b_pid" ] || [ "$new_pid" = "$c_pid" ]
}
if wait_until 15 someone_active; then
  takeover_ms=$((($(date +%s%N) - start_ns) / 1000000))
  echo "# takeover: shaled $new_pid ($([ "$new_pid" = "$b_pid" ] && echo B || echo C)) became active $takeover_ms ms after kill -9"
  check "a standby takes over within 10 s" yes "$([ "$takeover_ms" -lt 10000 ] && echo yes || echo "no ($takeover_ms ms)")"
else
  check "a standby takes over within 15 s" yes no
fi
c_has_port() { [ "$(json_eval "$cluster_api/v1/cluster" 'd["daemon"]["pid"]')" = "$c_pid" ]; }
check "standby C takes the cluster's API port over" ok "$(wait_until 10 c_has_port && echo ok || echo no)"
b_active=$(metric "$b_api" shale_daemon_active)
c_active=$(metric "$cluster_api" shale_daemon_active)
check "exactly one shaled reports shale_daemon_active 1" 1 "$((${b_active:-0} + ${c_active:-0}))"
active_api=$([ "$new_pid" = "$b_pid" ] && echo "$b_api" || echo "$cluster_api")
active_log=$([ "$new_pid" = "$b_pid" ] && echo "$work/b.log" || echo "$work/c.log")
check_contains "the new active shaled logs that it became active" "acquired the leader lock" "$(cat "$active_log")"
check "both APIs name the new active shaled" "$new_pid $new_pid" \
  "$(json_eval "$b_api/v1/cluster" 'd["daemon"]["active_pid"]') $(json_eval "$cluster_api/v1/cluster" 'd["daemon"]["active_pid"]')"

# It works: health rounds advance, and a stopped worker shows up as an event
# and as unreachable in /v1/nodes.
rounds_before=$(metric "$active_api" shale_daemon_health_rounds_total)
rounds_advance() { [ "$(metric "$active_api" shale_daemon_health_rounds_total)" -ge $((rounds_before + 2)) ]; }
check "the new active shaled runs health rounds" ok "$(wait_until 10 rounds_advance && echo ok || echo no)"

last_event=$(json_eval "$active_api/v1/events" 'd["last_event_id"] or 0')
worker_port=$(node_port group1)
worker_id=$(router_sql "SELECT node_id FROM shale.nodes WHERE port = $worker_port")
pg_ctl_as_owner stop -D "$(node_data_dir 1)" -m immediate >/dev/null
worker_event_seen() {
  [ "$(json_eval "$active_api/v1/events?since=$last_event" "any(e['node_id'] == $worker_id for e in d['events'])")" = True ]
}
worker_unreachable() {
  [ "$(json_eval "$active_api/v1/nodes" "[n['reachable'] for n in d['nodes'] if n['node_id'] == $worker_id]")" = "[False]" ]
}
check "an event about the stopped worker appears in /v1/events" ok "$(wait_until 15 worker_event_seen && echo ok || echo no)"
check "/v1/nodes shows the stopped worker unreachable" ok "$(wait_until 15 worker_unreachable && echo ok || echo no)"
check "/metrics shows the stopped worker down" 1 \
  "$(curl -s "$active_api/metrics" | grep -c "^shale_node_up{node_id=\"$worker_id\",.*} 0$" || true)"

pg_ctl_as_owner start -D "$(node_data_dir 1)" -w -l "$CLUSTER_DIR/logs/group1-primary.log" >/dev/null
worker_reachable() {
  [ "$(json_eval "$active_api/v1/nodes" "[n['reachable'] for n in d['nodes'] if n['node_id'] == $worker_id]")" = "[True]" ]
}
check "the restarted worker is reachable again" ok "$(wait_until 15 worker_reachable && echo ok || echo no)"

finish_checks daemon_standby
