#!/usr/bin/env bash
# http_api.sh — end-to-end test of shaled's HTTP API on a real cluster (one
# worker group, one replica per primary): every endpoint answers valid JSON or
# Prometheus text with the right values, unknown paths give 404 and wrong
# methods 405, bad query parameters 400, and malformed or oversized requests
# neither crash shaled nor stop it from answering.
#
# Usage: test/e2e/http_api.sh   (SHALE_BIN=/path/to/shale to test a build tree)
set -euo pipefail
source "$(dirname "$0")/../lib/cluster.sh"

with_test_cluster http-api --workers 1 --replicas 1

api=$("$SHALE_BIN" status --dir "$CLUSTER_DIR" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -1 || true)
api_port=${api##*:}
daemon_pid=$(cat "$CLUSTER_DIR/shaled.pid")
echo "# cluster $CLUSTER_DIR, router port $ROUTER_PORT, API $api, shaled pid $daemon_pid"
check_contains "shale status prints the HTTP API address" "http://127.0.0.1:" "$api"
check "cluster.json records the HTTP port" "$api_port" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_port"])' "$CLUSTER_DIR/cluster.json")"

# status_of PATH [curl flags]: the HTTP status code of a request.
status_of() {
  local path=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$api$path"
}

# json_eval PATH EXPRESSION: fetches PATH, parses it as JSON into d and prints
# the Python expression's value ("INVALID JSON" when it does not parse).
json_eval() {
  curl -s --max-time 10 "$api$1" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("INVALID JSON")
    sys.exit(0)
print(eval(sys.argv[1]))' "$2"
}

# wait_until SECONDS COMMAND...: polls the command every 0.2 s until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

# 1. The server is up and every node was seen by the daemon.
all_nodes_reachable() { [ "$(json_eval /v1/nodes 'all(n["reachable"] for n in d["nodes"])')" = True ]; }
wait_until 15 all_nodes_reachable || true
check "GET / answers 200" 200 "$(status_of /)"

# 2. /v1/nodes: 4 nodes (router and group 1, a primary and a replica each).
check "GET /v1/nodes answers 200" 200 "$(status_of /v1/nodes)"
check "/v1/nodes: 4 nodes" 4 "$(json_eval /v1/nodes 'len(d["nodes"])')"
check "/v1/nodes: roles" "['primary', 'primary', 'replica', 'replica']" \
  "$(json_eval /v1/nodes 'sorted(n["role"] for n in d["nodes"])')"
check "/v1/nodes: groups" "[0, 0, 1, 1]" "$(json_eval /v1/nodes 'sorted(n["group_id"] for n in d["nodes"])')"
check "/v1/nodes: the router primary's port" "[$ROUTER_PORT]" \
  "$(json_eval /v1/nodes '[n["port"] for n in d["nodes"] if n["group_id"] == 0 and n["role"] == "primary"]')"
check "/v1/nodes: every node reachable" True "$(json_eval /v1/nodes 'all(n["reachable"] for n in d["nodes"])')"
check "/v1/nodes: every health field present" True "$(json_eval /v1/nodes 'all(set(n) >= {"node_id", "role", "state",
  "reachable", "in_recovery", "timeline", "wal_lsn", "lag_bytes", "check_latency_ms", "checked_at"} for n in d["nodes"])')"

# 3. /v1/cluster: name, URI, sync replication, groups, the active daemon.
check "GET /v1/cluster answers 200" 200 "$(status_of /v1/cluster)"
# the API shows the URI without the superuser's password (shale up prints it with the password)
check "/v1/cluster: router URI" "$(sed 's#//postgres:[^@]*@#//postgres@#' <<<"$CLUSTER_URI")" "$(json_eval /v1/cluster 'd["router_uri"]')"
check "/v1/cluster: dir" "$CLUSTER_DIR" "$(json_eval /v1/cluster 'd["dir"]')"
check "/v1/cluster: replication mode" sync "$(json_eval /v1/cluster 'd["replication"]["mode"]')"
check "/v1/cluster: version" 0.1.0 "$(json_eval /v1/cluster 'd["version"]')"
check "/v1/cluster: two groups, router then worker" "[(0, 'router'), (1, 'worker')]" \
  "$(json_eval /v1/cluster '[(g["group_id"], g["kind"]) for g in d["groups"]]')"
check "/v1/cluster: each group has a primary and one replica" "[1, 1]" \
  "$(json_eval /v1/cluster '[len(g["replicas"]) for g in d["groups"] if g["primary"]]')"
check "/v1/cluster: groups healthy" "['healthy', 'healthy']" "$(json_eval /v1/cluster '[g["health"] for g in d["groups"]]')"
check "/v1/cluster: this shaled is active" True "$(json_eval /v1/cluster 'd["daemon"]["active"]')"
check "/v1/cluster: the active pid is shaled.pid" "$daemon_pid" "$(json_eval /v1/cluster 'd["daemon"]["active_pid"]')"

# 4. /v1/events: oldest first, since= and limit= work, bad values are 400.
router_sql "INSERT INTO shale.event (kind, detail) VALUES ('http_api_test', 'from http_api.sh')" >/dev/null
check "GET /v1/events answers 200" 200 "$(status_of /v1/events)"
check "/v1/events: ordered by event_id" True \
  "$(json_eval /v1/events 'len(d["events"]) > 0 and [e["event_id"] for e in d["events"]] == sorted(e["event_id"] for e in d["events"])')"
check "/v1/events: the newest is last" http_api_test "$(json_eval /v1/events 'd["events"][-1]["kind"]')"
last_id=$(json_eval /v1/events 'd["last_event_id"]')
check "/v1/events?limit=1 gives one event" 1 "$(json_eval '/v1/events?limit=1' 'len(d["events"])')"
check "/v1/events?since=<last> is empty" 0 "$(json_eval "/v1/events?since=$last_id" 'len(d["events"])')"
check "/v1/events?since=<last-1> is the last event" "[$last_id]" \
  "$(json_eval "/v1/events?since=$((last_id - 1))" '[e["event_id"] for e in d["events"]]')"
check "/v1/events?since=abc is 400" 400 "$(status_of '/v1/events?since=abc')"
check "/v1/events?limit=0 is 400" 400 "$(status_of '/v1/events?limit=0')"
check "/v1/events?bogus=1 is 400" 400 "$(status_of '/v1/events?bogus=1')"

# 5. /metrics: Prometheus text; every sample line parses; the key families are there.
metrics=$(curl -s --max-time 10 "$api/metrics")
check_contains "/metrics content type is Prometheus text" "text/plain; version=0.0.4" \
  "$(curl -s -o /dev/null -w '%{content_type}' "$api/metrics")"
bad_metric_lines=$(python3 -c '
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r"[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\.)*\""
sample = re.compile(r"^%s(?:\{%s(?:,%s)*\})? (\S+)$" % (name, label, label))
for line in sys.stdin.read().splitlines():
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    match = sample.match(line)
    try:
        float(match.group(1))
    except (AttributeError, ValueError):
        print("bad line: " + line)' <<<"$metrics")
check "/metrics: every line is a comment or a valid sample" "" "$bad_metric_lines"
check "/metrics: shale_node_up for 4 nodes, all 1" 4 "$(grep -c '^shale_node_up{.*} 1$' <<<"$metrics" || true)"
check "/metrics: two primaries" 2 "$(grep -c '^shale_node_is_primary{.*role="primary"} 1$' <<<"$metrics" || true)"
check "/metrics: shale_daemon_active 1" "shale_daemon_active 1" "$(grep '^shale_daemon_active ' <<<"$metrics")"
check "/metrics: no failover yet" "shale_failovers_total 0" "$(grep '^shale_failovers_total ' <<<"$metrics")"
for family in shale_replication_lag_bytes shale_health_check_latency_seconds shale_prepared_transactions_recovered_total \
  shale_deadlocks_resolved_total shale_daemon_health_rounds_total shale_events_total; do
  check_contains "/metrics: $family is described" "# TYPE $family " "$metrics"
done
check_contains "/metrics: events counted by kind" 'shale_events_total{kind="http_api_test"} 1' "$metrics"

# 6. Errors: 404 for unknown paths, 405 (with Allow) for other methods.
check "unknown path is 404" 404 "$(status_of /v1/nope)"
check "404 body is JSON with an error" "not found" "$(json_eval /v1/nope 'd["error"]')"
check "POST /v1/nodes is 405" 405 "$(status_of /v1/nodes -X POST)"
check "DELETE /metrics is 405" 405 "$(status_of /metrics -X DELETE)"
check_contains "405 carries Allow: GET" "Allow: GET" "$(curl -s -i -X POST "$api/v1/cluster" | tr -d '\r')"
check "a foreign Host header is 403 (DNS rebinding)" 403 "$(status_of /v1/nodes -H 'Host: evil.example')"
check "a POST from a web page (Origin header) is 403" 403 "$(status_of /v1/nodes -X POST -H 'Origin: http://evil.example')"
check "two requests on one kept-alive connection" 200200 \
  "$(curl -s -o /dev/null -o /dev/null -w '%{http_code}' "$api/v1/nodes" "$api/metrics")"

# 7. Malformed and hostile requests: answered with 4xx or closed, shaled survives.
garbage_answers=$(python3 - "$api_port" <<'EOF'
import socket, sys
port = int(sys.argv[1])

def exchange(data):
    """Sends data, returns the status line of the answer ('' when closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
        answer = s.recv(4096)
    except OSError:
        answer = b""
    finally:
        s.close()
    return answer.split(b"\r\n", 1)[0].decode("latin-1")

print(exchange(b"\x00\x01\xffgarbage garbage\r\n\r\n"))
print(exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"))
print(exchange(b"POST /v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + b"a" * 20000))
print(exchange(b"GET /v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"))
# half a request, then the client goes away
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /v1/nod")
s.close()
# many connections opened at once and dropped
for _ in range(50):
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
EOF
)
echo "$garbage_answers" | sed 's/^/# garbage answered: /'
check "garbage request line is 400" "HTTP/1.1 400 Bad Request" "$(sed -n 1p <<<"$garbage_answers")"
check "oversized header is 431" "HTTP/1.1 431 Request Header Fields Too Large" "$(sed -n 2p <<<"$garbage_answers")"
check "oversized body is 413" "HTTP/1.1 413 Payload Too Large" "$(sed -n 3p <<<"$garbage_answers")"
check "bad Content-Length is 400" "HTTP/1.1 400 Bad Request" "$(sed -n 4p <<<"$garbage_answers")"
check "shaled survives malformed requests" alive "$(kill -0 "$daemon_pid" 2>/dev/null && echo alive || echo dead)"
check "the API still answers after them" 200 "$(status_of /v1/nodes)"

finish_checks http_api
