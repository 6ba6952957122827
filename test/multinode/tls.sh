#!/usr/bin/env bash
# tls.sh — every node speaks TLS with a certificate its cluster's authority
# signs: psql with sslmode=verify-full reaches the router, a worker primary and
# a replica; a client that trusts another authority, asks for a host name the
# certificate does not name, or gives a wrong password is refused; the
# authority's key is private; a group added later gets certificates too; a
# second cluster made with --tls-dir shares the authority (as shale serve's databases do).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster tls --workers 1 --replicas 1
ca=$CLUSTER_DIR/tls/ca.crt
verified() {  # verified HOST PORT [CA]: the URI of a node with verify-full against CA
  echo "postgres://postgres@$1:$2/postgres?sslmode=verify-full&sslrootcert=${3:-$ca}&passfile=$CLUSTER_DIR/pgpass&connect_timeout=5"
}
ssl_of_session="SELECT ssl || ' ' || version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

check "the authority's key is readable by its owner only" "600" "$(stat -c %a "$CLUSTER_DIR/tls/ca.key")"
check "ca.crt is a CA certificate" "CA:TRUE, pathlen:0" \
  "$(openssl x509 -in "$ca" -noout -ext basicConstraints | tail -1 | xargs)"

router=$(node_port router)
worker=$(node_port group1)
replica=$(router_sql "SELECT port FROM shale.nodes WHERE group_id = 1 AND role = 'replica' LIMIT 1")
for target in "router $router" "worker primary $worker" "worker replica $replica"; do
  name=${target% *}
  port=${target##* }
  check "verify-full to the $name" "true TLSv1.3" "$(psql "$(verified 127.0.0.1 "$port")" -Atc "$ssl_of_session" 2>&1)"
done
check "verify-full by the name localhost" "true TLSv1.3" "$(psql "$(verified localhost "$router")" -Atc "$ssl_of_session" 2>&1)"
check_contains "the URI that shale up prints uses TLS (libpq's default sslmode=prefer)" "true TLSv1.3" \
  "$(psql "$CLUSTER_URI" -Atc "$ssl_of_session" 2>&1)"

# a client that trusts another authority is refused
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=other" \
  -keyout "$work/other.key" -out "$work/other.crt" 2>/dev/null
check_contains "another authority: refused" "certificate verify failed" \
  "$(psql "$(verified 127.0.0.1 "$router" "$work/other.crt")" -Atc "SELECT 1" 2>&1 || true)"
# a host name the certificate does not name is refused with verify-full (and accepted with verify-ca)
other_name=$(hostname)
if [ "$other_name" != localhost ] && getent hosts "$other_name" | grep -q '^127\.'; then
  check_contains "a name the certificate lacks: refused" "does not match host name" \
    "$(psql "$(verified "$other_name" "$router")" -Atc "SELECT 1" 2>&1 || true)"
fi
check_contains "a wrong password: refused" "password authentication failed" \
  "$(psql "postgres://postgres:wrong@127.0.0.1:$router/postgres?sslmode=verify-full&sslrootcert=$ca" -Atc "SELECT 1" \
     2>&1 || true)"
check_contains "no password at all: refused" "password" \
  "$(PGPASSFILE=/dev/null psql "postgres://postgres@127.0.0.1:$router/postgres?sslmode=require" -w -Atc "SELECT 1" \
     2>&1 || true)"

# a worker group added later gets a certificate from the same authority
"$SHALE_BIN" add-group --dir "$CLUSTER_DIR" --replicas 0 >"$work/add-group.log" 2>&1
added=$(router_sql "SELECT port FROM shale.nodes WHERE group_id = 2 AND role = 'primary'")
check "verify-full to an added group" "true TLSv1.3" "$(psql "$(verified 127.0.0.1 "$added")" -Atc "$ssl_of_session" 2>&1)"
# distributed queries still run (the router reaches the workers over loopback)
router_sql "CREATE TABLE tls_items (id bigint PRIMARY KEY, note text)" >/dev/null
router_sql "SELECT shale.distribute_table('tls_items', 'id')" >/dev/null
router_sql "INSERT INTO tls_items SELECT g, 'n' || g FROM generate_series(1, 100) g" >/dev/null
check "a distributed table over TLS-enabled nodes" "100" "$(router_sql "SELECT count(*) FROM tls_items")"

# a second cluster with --tls-dir uses the first one's authority (its key is not remade)
key_before=$(sha256sum "$CLUSTER_DIR/tls/ca.key" | cut -d' ' -f1)
second_port=$(free_port_from $((router + 40)))
"$SHALE_BIN" up --dir "$work/second" --port "$second_port" --workers 1 --replicas 0 --tls-dir "$CLUSTER_DIR/tls" \
  >"$work/second.log" 2>&1
check "the shared authority's key is unchanged" "$key_before" "$(sha256sum "$CLUSTER_DIR/tls/ca.key" | cut -d' ' -f1)"
check "the second cluster has no authority of its own" "no" "$([ -e "$work/second/tls" ] && echo yes || echo no)"
check "verify-full to the second cluster with the shared ca.crt" "true TLSv1.3" \
  "$(psql "postgres://postgres@127.0.0.1:$second_port/postgres?sslmode=verify-full&sslrootcert=$ca&passfile=$work/second/pgpass" \
       -Atc "$ssl_of_session" 2>&1)"
"$SHALE_BIN" down --dir "$work/second" >/dev/null 2>&1 || true

finish_checks tls
