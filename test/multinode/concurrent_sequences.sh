#!/usr/bin/env bash
# concurrent_sequences.sh — serial, bigserial and identity columns of a
# distributed table give unique values across shards while many sessions
# insert at once (the router evaluates nextval once per row).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
with_test_cluster sequences --workers 2 --replicas 0

router_sql "CREATE TABLE tickets (id bigserial, code int GENERATED ALWAYS AS IDENTITY, owner bigint NOT NULL, note text);
            SELECT shale.distribute_table('tickets', 'owner', 8);" >/dev/null
printf '\\set owner random(1, 1000)\nINSERT INTO tickets (owner, note) VALUES (:owner, '"'"'x'"'"');\nINSERT INTO tickets (owner, note) VALUES (:owner + 1, '"'"'y'"'"'), (:owner + 2, '"'"'z'"'"');\n' > "$work/insert.sql"
pgbench -n -c 6 -j 6 -t 100 -f "$work/insert.sql" "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" > "$work/pgbench.out" 2>&1 || true
check "every insert ran" "1800" "$(router_sql "SELECT count(*) FROM tickets")"
check "bigserial values are unique" "1800" "$(router_sql "SELECT count(DISTINCT id) FROM tickets")"
check "identity values are unique" "1800" "$(router_sql "SELECT count(DISTINCT code) FROM tickets")"
check "the rows are spread over both groups" "2" \
  "$(router_sql "SELECT count(DISTINCT p.group_id) FROM tickets t JOIN shale.placement p ON p.shard_id = shale.shard_for('tickets', t.owner)")"

finish_checks "multinode concurrent_sequences"
