# cluster.sh — helpers for test scripts that start a real Shale cluster.
# Source it; then: cluster_start DIR [shale up flags…]; router_sql "SQL"; cluster_stop.
# Every cluster lives in its own temporary directory on ports the test picks, and
# is stopped by its data directory (shale down), never by process name.

SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
PG_BIN=${SHALE_PG_BINDIR:-/usr/lib/postgresql/15/bin}

# free_port_from N prints the first TCP port >= N with nothing listening on 127.0.0.1.
free_port_from() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

# random_base_port prints a starting port spread over 20000-32699, so parallel or
# leftover clusters rarely collide. It stays below Linux's ephemeral port range
# (32768 and up), where any client connection may hold a port for a while.
# Call it directly in the shell that needs several values: $(...) runs it in a
# subshell, which does not advance the caller's $RANDOM (two calls, one value).
random_base_port() {
  echo $((20000 + (RANDOM % 127) * 100))
}

# cluster_start DIR [flags]: shale up into DIR; sets CLUSTER_DIR, CLUSTER_URI, ROUTER_PORT.
# A start that fails (a port taken in the meantime, say) is retried on other ports.
cluster_start() {
  CLUSTER_DIR=$1
  shift
  local attempt output base
  for attempt in 1 2 3; do
    base=$(free_port_from $((20000 + (RANDOM % 127) * 100)))  # as random_base_port, but a new value each time
    # no automatic backups in test clusters (WAL is still archived): backup_restore.sh sets SHALE_BACKUPS=on
    if output=$(SHALE_BACKUPS=${SHALE_BACKUPS:-off} "$SHALE_BIN" up --dir "$CLUSTER_DIR" --port "$base" "$@" 2>&1); then
      CLUSTER_URI=$(echo "$output" | tail -n 1)
      ROUTER_PORT=$base
      # every node asks for the superuser's SCRAM password: psql, pg_ctl-started servers
      # and every other libpq client of the test read it from the cluster's password file
      PGPASSFILE=$CLUSTER_DIR/pgpass
      export CLUSTER_DIR CLUSTER_URI ROUTER_PORT PGPASSFILE
      # shards must stay where a test puts them: no automatic splits or rebalancing
      # (test/multinode/auto_scaling.sh turns it back on)
      if [ -z "${SHALE_NO_EXTENSION:-}" ]; then
        router_sql "ALTER SYSTEM SET shale.auto_scaling = off" >/dev/null
        router_sql "SELECT pg_reload_conf()" >/dev/null
      fi
      return 0
    fi
    echo "$output" >&2
    "$SHALE_BIN" down --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  done
  echo "cluster_start: shale up failed" >&2
  return 1
}

cluster_stop() {
  if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR" ]; then
    "$SHALE_BIN" down --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true
  fi
}

# node_port ROLE_NAME prints the port of a node from shale.nodes: router | group<N>
node_port() {
  local group=${1#group}
  [ "$1" = router ] && group=0
  router_sql "SELECT port FROM shale.nodes WHERE group_id = $group AND role = 'primary'"
}

# node_data_dir GROUP prints the data directory of a group's primary (0 = router).
node_data_dir() {
  if [ "$1" = 0 ]; then echo "$CLUSTER_DIR/router/primary"; else echo "$CLUSTER_DIR/group$1/primary"; fi
}

# pg_ctl_as_owner ARGS: runs pg_ctl as the owner of the data directories.
pg_ctl_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" "$@"
  else
    "$PG_BIN/pg_ctl" "$@"
  fi
}

router_sql() {
  psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

port_sql() {
  local port=$1
  shift
  psql "postgresql://postgres@127.0.0.1:$port/postgres" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# sum_on_ports SQL PORT…: the sum over the nodes on PORT… of SQL's one number.
sum_on_ports() {
  local sql=$1 total=0 port
  shift
  for port in "$@"; do
    total=$((total + $(port_sql "$port" "$sql")))
  done
  echo "$total"
}

# A tiny assertion library: check NAME EXPECTED ACTUAL.
CHECKS_PASSED=0
CHECKS_FAILED=0
check() {
  local name=$1 expected=$2 actual=$3
  if [ "$expected" = "$actual" ]; then
    CHECKS_PASSED=$((CHECKS_PASSED + 1))
    echo "ok - $name"
  else
    CHECKS_FAILED=$((CHECKS_FAILED + 1))
    echo "not ok - $name: expected [$expected], got [$actual]"
  fi
}

# check_contains NAME NEEDLE HAYSTACK
check_contains() {
  local name=$1 needle=$2 haystack=$3
  if [[ "$haystack" == *"$needle"* ]]; then
    CHECKS_PASSED=$((CHECKS_PASSED + 1))
    echo "ok - $name"
  else
    CHECKS_FAILED=$((CHECKS_FAILED + 1))
    echo "not ok - $name: [$haystack] does not contain [$needle]"
  fi
}

# finish_checks SUITE: prints the closing line and returns non-zero on failure.
finish_checks() {
  echo "$1: $CHECKS_PASSED passed, $CHECKS_FAILED failed"
  [ "$CHECKS_FAILED" -eq 0 ]
}

# with_test_cluster NAME [shale up flags…]: makes a temporary directory ($work),
# starts a cluster in it, and stops the cluster and removes the directory when
# the script exits.
with_test_cluster() {
  local name=$1
  shift
  work=$(mktemp -d "/tmp/shale-$name.XXXXXX")
  chmod 755 "$work"
  trap 'cluster_stop; rm -rf "$work"' EXIT
  cluster_start "$work/cluster" "$@"
}

# key_on_group TABLE GROUP: the smallest key from 1 to 50 whose shard of TABLE lives on GROUP.
key_on_group() {
  router_sql "SELECT min(k) FROM generate_series(1, 50) k JOIN shale.placement p
              ON p.shard_id = shale.shard_for('$1', k) WHERE p.group_id = $2"
}
