#!/usr/bin/env bash
# run.sh — fuzz a Shale router with sqlsmith for SQLSMITH_SECONDS (default 600).
#
# Starts a throwaway cluster (router + 2 worker groups, no replicas), creates a
# small schema (distributed, co-located, text-keyed, reference and plain local
# tables, with data), runs sqlsmith against the router, then scans every node's
# server log for backend crashes. A refused query (an ERROR) is fine; a crash is
# not. Exit status: 0 = no crash, 1 = crash(es) found, 2 = setup failure.
#
# Not part of `make check`. See test/sqlsmith/README.md.
#
# Environment:
#   SQLSMITH_SECONDS   total fuzzing time in seconds (default 600)
#   SQLSMITH_SEED      seed of the first sqlsmith run (default: derived from $$)
#   SQLSMITH_CATALOG=1 also let sqlsmith use catalog relations (default: --exclude-catalog)
#   KEEP_CLUSTER=1     leave the cluster running on exit (prints how to stop it)

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${SHALE_ROOT:-$(cd "$HERE/../.." && pwd)}
# shellcheck source=../lib/cluster.sh
. "$ROOT/test/lib/cluster.sh"

SECONDS_TOTAL=${SQLSMITH_SECONDS:-600}
SEED=${SQLSMITH_SEED:-$$}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# --- 1. sqlsmith ----------------------------------------------------------------
if ! command -v sqlsmith >/dev/null 2>&1; then
  echo "== installing the Debian package sqlsmith"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y sqlsmith; then
    as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y sqlsmith || {
      echo "run.sh: could not install sqlsmith" >&2
      exit 2
    }
  fi
fi
SMITH_FLAGS=(--verbose)
if [ "${SQLSMITH_CATALOG:-0}" != 1 ] && sqlsmith --help 2>&1 | grep -q -- --exclude-catalog; then
  SMITH_FLAGS+=(--exclude-catalog)
fi

# --- 2. cluster -----------------------------------------------------------------
OUT=$(mktemp -d /tmp/shale-sqlsmith.XXXXXX)
WORK=$(mktemp -d /tmp/shale-sqlsmith-cluster.XXXXXX)
chmod 755 "$WORK"

finish() {
  local rc=$?
  if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/logs" ]; then
    mkdir -p "$OUT/logs"
    cp -a "$CLUSTER_DIR"/logs/. "$OUT/logs/" 2>/dev/null || true
    [ -f "$CLUSTER_DIR/shaled.log" ] && cp "$CLUSTER_DIR/shaled.log" "$OUT/logs/" 2>/dev/null
  fi
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    echo "cluster left running: shale down --dir $CLUSTER_DIR (router port $ROUTER_PORT)"
  else
    cluster_stop
    rm -rf "$WORK"
  fi
  echo "logs and sqlsmith output kept in $OUT"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

echo "== starting a cluster in $WORK/c (2 workers, 0 replicas)"
cluster_start "$WORK/c" --workers 2 --replicas 0 || exit 2
echo "router port $ROUTER_PORT"

# --- 3. schema ------------------------------------------------------------------
echo "== creating the schema"
SCHEMA_SQL=$(cat <<'SQL'
-- distributed, bigint key, several types, NULLs
CREATE TABLE accounts (
  id        bigint PRIMARY KEY,
  name      text,
  balance   numeric(12,2),
  created   timestamptz,
  active    boolean,
  score     double precision,
  tags      text[],
  meta      jsonb,
  region    char(2)
);
INSERT INTO accounts
SELECT g,
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'acct-' || g END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE (g * 13.37) % 10000 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE timestamptz '2024-01-01' + g * interval '7 hours' END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END,
       CASE WHEN g % 9 = 0 THEN NULL ELSE g / 7.0 END,
       CASE WHEN g % 4 = 0 THEN NULL ELSE ARRAY['t' || (g % 5), 'u' || (g % 3)] END,
       CASE WHEN g % 6 = 0 THEN NULL ELSE jsonb_build_object('k', g, 'even', g % 2 = 0) END,
       CASE WHEN g % 8 = 0 THEN NULL ELSE (ARRAY['DE','FR','US','JP'])[1 + g % 4] END
FROM generate_series(1, 200) g;

-- co-located with accounts (bigint key)
CREATE TABLE orders (
  account_id bigint NOT NULL,
  order_id   bigint NOT NULL,
  amount     numeric,
  status     text,
  placed     date,
  note       varchar(40),
  qty        int,
  PRIMARY KEY (account_id, order_id)
);
INSERT INTO orders
SELECT 1 + g % 200, g,
       CASE WHEN g % 10 = 0 THEN NULL ELSE g * 1.5 END,
       (ARRAY['new','paid','shipped',NULL])[1 + g % 4],
       CASE WHEN g % 13 = 0 THEN NULL ELSE date '2024-01-01' + g END,
       CASE WHEN g % 2 = 0 THEN NULL ELSE 'note ' || g END,
       g % 17
FROM generate_series(1, 600) g;

-- distributed, text key
CREATE TABLE users_by_email (
  email        text PRIMARY KEY,
  display_name text,
  age          int,
  uid          uuid,
  last_login   timestamp,
  karma        smallint
);
INSERT INTO users_by_email
SELECT 'user' || g || '@example.com',
       CASE WHEN g % 4 = 0 THEN NULL ELSE 'User ' || g END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 18 + g % 60 END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE md5(g::text)::uuid END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE timestamp '2024-06-01' + g * interval '1 day' END,
       (g % 100)::smallint
FROM generate_series(1, 150) g;

-- reference table
CREATE TABLE countries (
  code       char(2) PRIMARY KEY,
  name       text NOT NULL,
  population bigint,
  eu         boolean
);
INSERT INTO countries VALUES
  ('DE', 'Germany', 83000000, true), ('FR', 'France', 68000000, true),
  ('US', 'United States', 333000000, false), ('JP', 'Japan', NULL, false),
  ('XX', 'Nowhere', 0, NULL);

-- plain local table on the router
CREATE TABLE local_notes (
  id         serial PRIMARY KEY,
  account_id bigint,
  body       text,
  ts         timestamp,
  weight     real
);
INSERT INTO local_notes (account_id, body, ts, weight)
SELECT CASE WHEN g % 5 = 0 THEN NULL ELSE g END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE repeat('x', g % 20) END,
       timestamp '2024-03-01' + g * interval '1 hour',
       CASE WHEN g % 4 = 0 THEN NULL ELSE g / 3.0 END
FROM generate_series(1, 100) g;

SELECT shale.distribute_table('accounts', 'id');
SELECT shale.distribute_table('orders', 'account_id', colocate_with => 'accounts');
SELECT shale.distribute_table('users_by_email', 'email', 8);
SELECT shale.make_reference_table('countries');
ANALYZE;
SQL
)
if ! psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q -v ON_ERROR_STOP=1 \
    -c "$SCHEMA_SQL" >"$OUT/schema.out" 2>&1; then
  cat "$OUT/schema.out" >&2
  echo "run.sh: schema setup failed" >&2
  exit 2
fi
router_sql "SELECT table_name || ' ' || kind || ' ' || coalesce(distribution_column, '-') || ' ' || shard_count FROM shale.tables ORDER BY 1" 2>/dev/null \
  | sed 's/^/  /' || true

# Remember where the logs were before fuzzing, so setup noise is not counted.
declare -A LOG_START
for f in "$CLUSTER_DIR"/logs/*.log; do
  LOG_START[$f]=$(($(wc -l <"$f") + 1))
done

# --- 4. sqlsmith ----------------------------------------------------------------
# sqlsmith stops at the first broken connection (e.g. when the router restarts
# after a crash). We restart it, with the next seed, until the time is up.
TARGET="host=127.0.0.1 port=$ROUTER_PORT dbname=postgres user=postgres"
echo "== running sqlsmith ${SMITH_FLAGS[*]} for ${SECONDS_TOTAL}s against $TARGET"
deadline=$(($(date +%s) + SECONDS_TOTAL))
run=0
while :; do
  now=$(date +%s)
  left=$((deadline - now))
  [ "$left" -le 0 ] && break
  run=$((run + 1))
  seed=$((SEED + run - 1))
  echo "-- sqlsmith run $run, seed $seed, ${left}s left"
  timeout --signal=TERM --kill-after=10 "$left" \
    sqlsmith --target="$TARGET" --seed="$seed" "${SMITH_FLAGS[@]}" \
    >"$OUT/sqlsmith.$run.out" 2>"$OUT/sqlsmith.$run.err"
  rc=$?
  echo "   exit status $rc"
  [ "$rc" = 124 ] && break
  # Early exit: wait for the router to accept connections again (crash recovery).
  for _ in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$ROUTER_PORT" && break
    sleep 1
  done
  sleep 1
done

# --- 5. results -----------------------------------------------------------------
# sqlsmith --verbose prints one character per query on stderr ('.' ok, 'e' error,
# 't' timeout, 'C' crash / broken connection, 'S' syntax error) plus periodic reports.
QUERIES=0
for f in "$OUT"/sqlsmith.*.err; do
  n=$(grep -E '^[.etCS]+$' "$f" | tr -cd '.etCS' | wc -c)
  QUERIES=$((QUERIES + n))
done

# Fuzzing part of every node log.
: >"$OUT/fuzz.log"
for f in "$CLUSTER_DIR"/logs/*.log; do
  node=$(basename "$f" .log)
  tail -n +"${LOG_START[$f]:-1}" "$f" | sed "s|^|$node: |" >>"$OUT/fuzz.log"
done

# A backend that dies abnormally makes the postmaster log "server process (PID n)
# was terminated by signal N" (or "exited with exit code 2+") and restart everything.
CRASH_RE='terminated by signal|server process \(PID [0-9]+\) was terminated|was terminated by exception|process \(PID [0-9]+\) exited with exit code ([2-9]|[1-9][0-9]+)|PANIC: |TRAP:|segfault'
grep -E -n "$CRASH_RE" "$OUT/fuzz.log" >"$OUT/crashes.txt"
CRASHES=$(wc -l <"$OUT/crashes.txt")

echo
echo "================ sqlsmith summary ================"
echo "duration:          ${SECONDS_TOTAL}s, sqlsmith runs: $run (first seed $SEED)"
echo "queries run:       $QUERIES (counted from sqlsmith --verbose progress)"
for f in "$OUT"/sqlsmith.*.err; do
  last=$(grep '^queries:' "$f" | tail -n 1)
  [ -n "$last" ] && echo "  $(basename "$f" .err): $last"
done
echo "ERROR lines:       $(grep -c ' ERROR: ' "$OUT/fuzz.log") (router + workers)"
echo "crash lines:       $CRASHES"
if [ -s "$OUT/crashes.txt" ]; then
  echo
  echo "---- crashes (with context) ----"
  while IFS=: read -r lineno _; do
    start=$((lineno > 15 ? lineno - 15 : 1))
    echo "@@ fuzz.log line $lineno"
    sed -n "${start},$((lineno + 6))p" "$OUT/fuzz.log"
    echo
  done <"$OUT/crashes.txt"
  echo "---- crashing queries (postmaster 'Failed process was running') ----"
  grep -A 3 'Failed process was running' "$OUT/fuzz.log" || echo "(none logged)"
fi
echo
echo "---- top 20 ERROR messages (quoted strings -> \"…\", numbers -> N) ----"
grep ' ERROR: ' "$OUT/fuzz.log" \
  | sed -E 's/^([^:]+): .* ERROR: +/\1\t/' \
  | awk -F'\t' '{ m = $2; gsub(/"[^"]*"/, "\"…\"", m); gsub(/[0-9]+/, "N", m); print $1 ": " m }' \
  | sort | uniq -c | sort -rn | head -n 20
echo "=================================================="

if [ "$CRASHES" -gt 0 ]; then
  echo "FAIL: $CRASHES crash line(s) in the server logs"
  exit 1
fi
echo "PASS: no backend crash"
exit 0
