#!/usr/bin/env bash
# distributed_deadlock.sh — two transactions that lock rows on two worker groups
# in opposite orders: shaled finds the cycle, one of them fails with
# "distributed deadlock detected" (40P01) within seconds, the other commits.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster deadlock --workers 2 --replicas 0

router_sql "CREATE TABLE pairs (id bigint PRIMARY KEY, v int);
            INSERT INTO pairs SELECT g, 0 FROM generate_series(1, 50) g;
            SELECT shale.distribute_table('pairs', 'id', 8);" >/dev/null
first=$(key_on_group pairs 1)
second=$(key_on_group pairs 2)

transfer() { # transfer FROM TO OUTPUT: locks FROM, waits, then locks TO
  psql "postgresql://postgres@127.0.0.1:$ROUTER_PORT/postgres" -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -c "BEGIN; UPDATE pairs SET v = v - 1 WHERE id = $1; SELECT pg_sleep(1); UPDATE pairs SET v = v + 1 WHERE id = $2; COMMIT;" \
    > "$3" 2>&1 && echo committed >> "$3" || echo failed >> "$3"
}
started=$SECONDS
transfer "$first" "$second" "$work/a.out" &
a=$!
transfer "$second" "$first" "$work/b.out" &
b=$!
wait $a $b
elapsed=$((SECONDS - started))
outcomes="$(tail -n 1 "$work/a.out") $(tail -n 1 "$work/b.out")"

check "one transaction committed, the other failed" "yes" \
  "$([ "$outcomes" = "committed failed" ] || [ "$outcomes" = "failed committed" ] && echo yes || echo "no ($outcomes)")"
check_contains "the failure is a distributed deadlock" "40P01: distributed deadlock detected" "$(cat "$work/a.out" "$work/b.out")"
check "resolved within 10 s" "yes" "$([ "$elapsed" -le 10 ] && echo yes || echo "no (${elapsed} s)")"
check "the committed transfer is whole, the failed one left nothing" "0" \
  "$(router_sql "SELECT sum(v) FROM pairs")"
check "the deadlock is an event" "1" "$(router_sql "SELECT count(*) FROM shale.event WHERE kind = 'distributed_deadlock'")"

finish_checks "multinode distributed_deadlock"
