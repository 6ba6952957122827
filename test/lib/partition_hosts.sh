# partition_hosts.sh — a cluster over three hosts (network namespaces with one
# `shale agent` each) for the partition tests (source after cluster.sh,
# failover.sh and netns_hosts.sh). Set AGENT_PORT and NODE_PORT first.
#   partition_hosts_up PREFIX SUBNET   hosts, agents, token; sets work and agent pids
#   partition_cluster_up [shale up flags]   shale up over the three agents; sets
#                                      CLUSTER_DIR, CLUSTER_URI, PGPASSFILE, UP_OUTPUT
#   probe_cut_primary HOST ADDR PORT   from inside the cut-off host, until its old
#                                      primary refuses connections; sets fenced_at and
#                                      acknowledged_on_cut_host
#   wait_for_fence_record HOST NODE    up to 5 s for the agent to finish the fence
#                                      (its log line and the node's standby.signal)

work=$(mktemp -d /tmp/shale-partition.XXXXXX)
chmod 755 "$work"
declare -A AGENT_PID=()

partition_cleanup() {
  local i dir
  [ -n "${WRITER_PID:-}" ] && { touch "$work/stop"; kill "$WRITER_PID" 2>/dev/null || true; }
  [ -n "${POOLED_PID:-}" ] && kill "$POOLED_PID" 2>/dev/null || true
  [ -f "$work/cluster/shaled.pid" ] && kill "$(cat "$work/cluster/shaled.pid")" 2>/dev/null || true
  for i in "${!AGENT_PID[@]}"; do kill "${AGENT_PID[$i]}" 2>/dev/null || true; done
  # whatever still runs inside our namespaces (agents, servers), by pid
  for i in $(seq 1 "$HOSTS_COUNT"); do ip netns pids "$HOSTS_PREFIX-h$i" 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  for dir in "$work"/agent*/nodes/*/; do
    [ -f "$dir/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" stop -D "$dir" -m immediate >/dev/null 2>&1 || true
  done
  hosts_destroy
  # PARTITION_LOGS=DIR keeps the agents', shaled's and the nodes' logs for a look after the test
  [ -n "${PARTITION_LOGS:-}" ] && mkdir -p "$PARTITION_LOGS" &&
    cp -r "$work"/*.log "$work"/*.err "$work/cluster/shaled.log" "$work"/agent*/logs "$PARTITION_LOGS/" 2>/dev/null
  rm -rf "$work"
}

# seconds_between T1 T2: T2 - T1 with two decimals.
seconds_between() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# start_agent I: runs the agent of host I in its namespace.
start_agent() {
  on_host "$1" "$SHALE_BIN" agent --listen "$(host_address "$1"):$AGENT_PORT" --dir "$work/agent$1" \
    --token-file "$work/agent.token" --log-file "$work/agent$1.log" >>"$work/agent$1.out" 2>&1 &
  AGENT_PID[$1]=$!
  local started=$SECONDS
  until curl -sk -o /dev/null -H "Authorization: Bearer $(cat "$work/agent.token" 2>/dev/null)" \
      "https://$(host_address "$1"):$AGENT_PORT/v1/ping"; do
    [ $((SECONDS - started)) -lt 20 ] || { echo "agent $1 does not answer"; cat "$work/agent$1.out"; exit 1; }
    sleep 0.2
  done
}

partition_hosts_up() {
  hosts_create 3 "$1" "$2"
  # the first agent creates the token; the others get the same file
  start_agent 1
  start_agent 2
  start_agent 3
}

partition_cluster_up() {
  UP_OUTPUT=$("$SHALE_BIN" up --dir "$work/cluster" --port "$NODE_PORT" --workers 2 --replicas 1 \
    --host "$(host_address 1):$AGENT_PORT" --host "$(host_address 2):$AGENT_PORT" --host "$(host_address 3):$AGENT_PORT" \
    --agent-token-file "$work/agent.token" "$@" 2>&1) || { echo "$UP_OUTPUT"; exit 1; }
  echo "$UP_OUTPUT" | sed 's/postgres:[A-Za-z0-9]*@/postgres:***@/'
  CLUSTER_DIR=$work/cluster
  CLUSTER_URI=$(echo "$UP_OUTPUT" | tail -n 1)
  # psql of the test finds the superuser's password where shale and shaled do
  PGPASSFILE=$work/cluster/pgpass
  export CLUSTER_DIR CLUSTER_URI PGPASSFILE
}

probe_cut_primary() {
  local host=$1 address=$2 port=$3 password probe_uri
  password=$(grep -v '^#' "$work/cluster/pgpass" | sed 's/.*://')
  # its old primary must stop taking writes by itself. A commit that waits (for
  # the synchronous standby it cannot reach) is not acknowledged: `timeout` ends it.
  probe_uri="host=$address port=$port user=postgres password=$password dbname=postgres connect_timeout=2"
  fenced_at=""
  acknowledged_on_cut_host=no
  for _ in $(seq 1 100); do
    if ! on_host "$host" psql "$probe_uri" -XAtc "SELECT 1" >/dev/null 2>"$work/probe.err"; then
      fenced_at=$(date +%s.%N)
      break
    fi
    on_host "$host" timeout 1 psql "$probe_uri" -XAtc "CREATE TABLE IF NOT EXISTS split_brain_probe (x int)" \
      >/dev/null 2>&1 && echo "# the cut-off primary acknowledged a write" && acknowledged_on_cut_host=yes
    sleep 0.2
  done
}

wait_for_fence_record() {
  local started=$SECONDS
  until grep -q "lease expired" "$work/agent$1.log" && [ -f "$work/agent$1/nodes/$2/standby.signal" ]; do
    [ $((SECONDS - started)) -lt 5 ] || return 0
    sleep 0.2
  done
}
