#!/usr/bin/env bash
# backup_restore.sh — backups and cluster-consistent restores on real servers
# (docs/backups.md):
#  1. shaled takes the first full backup of every group on its own;
#  2. under a writer running distributed (two-group) transactions, a restore point
#     is made; the cluster restored to it holds exactly a prefix of the
#     acknowledged transactions that includes every one acknowledged before the
#     point was asked for, with balances that match, and no prepared transaction
#     left on any worker;
#  3. a restore point and a time taken between known batches restore exactly the
#     data remembered at them, on every shard;
#  4. a backup killed mid-way is listed as failed (and is an event); the next succeeds;
#  5. shaled's schedule (schedule.conf) runs incremental backups and restore points;
#  6. a corrupted file in the repository is found by verification;
#  7. after a worker group is drained and removed, a restore has the same groups;
#     it restores to a point made in SQL, from the backup taken before it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

SHALE_BACKUPS=on  # this test is about shaled's automatic backups
with_test_cluster backup --workers 2 --replicas 0
trap 'touch "$work/stop_writer"; for d in "$work"/restored*; do [ -d "$d" ] && "$SHALE_BIN" down --dir "$d" >/dev/null 2>&1; done; cluster_stop; rm -rf "$work"' EXIT
started_at=$SECONDS

# poll_until SECONDS COMMAND…: runs COMMAND every 0.2 s until it succeeds.
poll_until() {
  local limit=$1
  shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

# (1. below: shaled takes the first full backup on its own meanwhile)

router_sql "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
            SELECT shale.distribute_table('accounts', 'id');
            CREATE TABLE transfers (transfer_id int PRIMARY KEY);
            SELECT shale.distribute_table('transfers', 'transfer_id')" >/dev/null
k1=$(key_on_group accounts 1)
k2=$(key_on_group accounts 2)
# one statement over both groups: a distributed (two-phase) commit
router_sql "INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 60) g"

# transfer FROM TO N: one transaction moving 1 from FROM to TO and logging N
transfer() {
  psql "$CLUSTER_URI" -X -q -v ON_ERROR_STOP=1 -c "BEGIN;
    UPDATE accounts SET balance = balance - 1 WHERE id = $1;
    UPDATE accounts SET balance = balance + 1 WHERE id = $2;
    INSERT INTO transfers VALUES ($3);
    COMMIT" >/dev/null
}
state() {
  router_sql "SELECT md5(string_agg(id || ':' || balance, ',' ORDER BY id)) FROM accounts" | tr -d '\n'
  echo -n "/"
  router_sql "SELECT count(*) || ':' || coalesce(max(transfer_id), 0) FROM transfers"
}
state_of() {  # state_of PORT: the same through another router
  psql "postgresql://postgres@127.0.0.1:$1/postgres" -X -q -A -t -c \
    "SELECT md5(string_agg(id || ':' || balance, ',' ORDER BY id)) FROM accounts" | tr -d '\n'
  echo -n "/"
  psql "postgresql://postgres@127.0.0.1:$1/postgres" -X -q -A -t -c \
    "SELECT count(*) || ':' || coalesce(max(transfer_id), 0) FROM transfers"
}
prepared_on_workers() {  # prepared_on_workers ROUTER_PORT: shale prepared transactions left
  sum_on_ports "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shale\_%'" \
    $(psql "postgresql://postgres@127.0.0.1:$1/postgres" -X -A -t -c "SELECT port FROM shale.node WHERE group_id > 0")
}
# restore_to NAME TARGET [OPTION…]: shale restore; prints the new router port
restore_to() {
  local output
  output=$("$SHALE_BIN" restore --dir "$CLUSTER_DIR" --to "$1" --target "$work/$2" "${@:3}" 2>&1) ||
    { echo "$output" >&2; return 1; }
  echo "$output" | tail -n 1 | sed -E 's/.*@127\.0\.0\.1:([0-9]+)[,\/].*/\1/'
}

# 2. a restore point under a writer of distributed transactions
n=0
for n in $(seq 1 10); do transfer "$k1" "$k2" "$n"; done

# 1. the first full backup, by shaled, without any step of ours
full_backups() { [ "$("$SHALE_BIN" backups --dir "$CLUSTER_DIR" | grep -c ' full .* ok ')" -ge 3 ]; }
poll_until 90 full_backups && first_full=yes || first_full=no
check "shaled took a first full backup of every group" "yes" "$first_full"
echo "# [$((SECONDS - started_at)) s] after first full"
writer() {
  local next=11
  while [ ! -e "$work/stop_writer" ]; do
    transfer "$k1" "$k2" "$next" || break
    echo "$next" >>"$work/acked"
    next=$((next + 1))
  done
}
: >"$work/acked"
writer &
writer_pid=$!
acked_at_least() { [ "$(wc -l <"$work/acked")" -ge "$1" ]; }
poll_until 30 acked_at_least 3
acked_before=$(( $(wc -l <"$work/acked") + 10 ))
"$SHALE_BIN" restore-point --dir "$CLUSTER_DIR" --name under_load >/dev/null
acked_after=$(( $(wc -l <"$work/acked") + 10 ))
poll_until 30 acked_at_least $((acked_after - 10 + 3))
touch "$work/stop_writer"
wait "$writer_pid"
echo "# writer: $acked_before acknowledged before the restore point, $acked_after after; $(( $(wc -l <"$work/acked") + 10 )) in all"

port=$(restore_to under_load restored_load)
restored=$(psql "postgresql://postgres@127.0.0.1:$port/postgres" -X -A -t -c \
  "SELECT count(*), coalesce(max(transfer_id), 0), min(transfer_id),
          (SELECT balance FROM accounts WHERE id = $k1), (SELECT balance FROM accounts WHERE id = $k2),
          (SELECT sum(balance) FROM accounts)
   FROM transfers")
IFS='|' read -r count max_id min_id balance1 balance2 total <<<"$restored"
echo "# restored under_load: $count transfers (max $max_id), balances $balance1 / $balance2"
check "restored transfers are a prefix (no gap)" "1:$count" "$min_id:$max_id"
check "every transfer acknowledged before the restore point is there" "yes" \
  "$([ "$count" -ge "$acked_before" ] && echo yes || echo no)"
check "no transfer begun after the restore point is there" "yes" \
  "$([ "$count" -le $((acked_after + 1)) ] && echo yes || echo no)"
check "balances agree with the transfers on both groups" "$((100 - count)):$((100 + count))" "$balance1:$balance2"
check "money is conserved" "6000" "$total"
check "no prepared transaction left after restore" "0" "$(prepared_on_workers "$port")"
"$SHALE_BIN" down --dir "$work/restored_load" >/dev/null

echo "# [$((SECONDS - started_at)) s] after under-load restore"
# 3. exact states between known batches: a restore point, then a time
router_sql "UPDATE accounts SET balance = balance + 5 WHERE id IN ($k1, $k2);
            INSERT INTO accounts SELECT g, 7 FROM generate_series(61, 80) g" >/dev/null
state_at_point=$(state)
"$SHALE_BIN" restore-point --dir "$CLUSTER_DIR" --name between_batches >/dev/null
router_sql "DELETE FROM accounts WHERE id BETWEEN 61 AND 70;
            UPDATE accounts SET balance = balance * 2 WHERE id IN ($k1, $k2)" >/dev/null
state_at_time=$(state)
sleep 1.2
target_time=$(date -u '+%Y-%m-%d %H:%M:%S')
sleep 1.2
router_sql "UPDATE accounts SET balance = 0; DELETE FROM transfers WHERE transfer_id > 5" >/dev/null
state_now=$(state)
check "the batches changed the data" "yes" \
  "$([ "$state_at_point" != "$state_at_time" ] && [ "$state_at_time" != "$state_now" ] && echo yes || echo no)"

port=$(restore_to between_batches restored_point --replicas 1)
check "restore to a restore point: the data remembered at it" "$state_at_point" "$(state_of "$port")"
check "restore to a restore point: no prepared transaction left" "0" "$(prepared_on_workers "$port")"
source_ports=$(router_sql "SELECT string_agg(port::text, ',') FROM shale.node")
restored_sql() { psql "postgresql://postgres@127.0.0.1:$port/postgres" -X -A -t -c "$1"; }
check "restored catalog: three primaries, none on a source port" "3:0" \
  "$(restored_sql "SELECT count(*) || ':' || count(*) FILTER (WHERE port IN ($source_ports)) FROM shale.node WHERE role = 'primary'")"
# --replicas 1: every group has a streaming, synchronous replica with no recovery target left over
check "restored with --replicas 1: a replica per group in the catalog" "3" \
  "$(restored_sql "SELECT count(*) FROM shale.node WHERE role = 'replica'")"
check "restored with --replicas 1: each streams as a synchronous standby" "3" \
  "$(sum_on_ports "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'quorum'" \
     $(restored_sql "SELECT port FROM shale.node WHERE role = 'primary'"))"
replica_port=$(restored_sql "SELECT min(port) FROM shale.node WHERE role = 'replica'")
check "restored replicas carry no recovery target" "|true" \
  "$(port_sql "$replica_port" "SELECT current_setting('recovery_target_name') || '|' || pg_is_in_recovery()")"
check "a write commits on the restored cluster with its synchronous replicas" "UPDATE 80" \
  "$(psql "postgresql://postgres@127.0.0.1:$port/postgres?options=-c%20statement_timeout%3D20000" -X -c "UPDATE accounts SET balance = balance" 2>&1)"
"$SHALE_BIN" down --dir "$work/restored_point" >/dev/null

echo "# [$((SECONDS - started_at)) s] after point restore"
port=$(restore_to "$target_time" restored_time)
check "restore to a time: the data remembered at it" "$state_at_time" "$(state_of "$port")"
check "restore to a time: no prepared transaction left" "0" "$(prepared_on_workers "$port")"
"$SHALE_BIN" down --dir "$work/restored_time" >/dev/null
check "the source cluster is untouched" "$state_now" "$(state)"

echo "# [$((SECONDS - started_at)) s] after time restore"
# 4. a backup killed mid-way is a clear failed entry, and the next one succeeds
"$SHALE_BIN" backup --dir "$CLUSTER_DIR" --kind full >"$work/killed.out" 2>&1 &
backup_pid=$!
victim=""
deadline=$((SECONDS + 30))
while [ -z "$victim" ] && [ $SECONDS -lt $deadline ]; do
  victim=$(pgrep -P "$backup_pid" -f 'stanza=group1' || true)
  sleep 0.05
done
[ -n "$victim" ] && kill -9 "$victim"
backup_status=0
wait "$backup_pid" || backup_status=$?
check "the interrupted backup command fails" "1" "$backup_status"
listing=$("$SHALE_BIN" backups --dir "$CLUSTER_DIR")
check_contains "shale backups shows the failed backup" "group1    full   FAILED" "$listing"
check_contains "the failure says how it ended" "killed by signal 9" "$listing"
check "the failure is an event" "1" \
  "$(router_sql "SELECT count(*) FROM shale.event WHERE kind = 'backup_failed' AND group_id = 1")"
"$SHALE_BIN" backup --dir "$CLUSTER_DIR" --kind full >/dev/null 2>&1 && next=ok || next=failed
check "the next backup succeeds" "ok" "$next"

echo "# [$((SECONDS - started_at)) s] after killed backup"
# 5. shaled's schedule: small intervals in schedule.conf, picked up without a restart
cat >"$CLUSTER_DIR/backup/schedule.conf" <<'EOF'
full-interval-s = 86400
incr-interval-s = 2
retention-full = 2
verify-interval-s = 0
restore-point-interval-s = 2
EOF
scheduled_work() {
  grep -q '"kind":"incr","stanza":"group2","status":"ok"' "$CLUSTER_DIR/backup/history.jsonl" &&
    grep -q '"name":"shaled_' "$CLUSTER_DIR/backup/restore_points.jsonl"
}
poll_until 60 scheduled_work && scheduled=yes || scheduled=no
check "shaled runs scheduled incremental backups and restore points" "yes" "$scheduled"
sed -i -E 's/^(incr-interval-s|restore-point-interval-s) = 2$/\1 = 0/' "$CLUSTER_DIR/backup/schedule.conf"  # the schedule off again
# let a scheduled backup that is still running finish before corrupting the repository
sleep 1
shaled_idle() { [ -z "$(pgrep -P "$(cat "$CLUSTER_DIR/shaled.pid")" || true)" ]; }
poll_until 60 shaled_idle

echo "# [$((SECONDS - started_at)) s] after schedule"
# 6. a corrupted backup file is found by verification
"$SHALE_BIN" verify --dir "$CLUSTER_DIR" >/dev/null && clean=ok || clean=failed
check "verification passes on an intact repository" "ok" "$clean"
victim_file=$(find "$CLUSTER_DIR/backup/repo/backup/group1" -path '*F/pg_data/base/*' -type f -size +20k | sort | tail -n 1)
python3 - "$victim_file" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
for offset in range(100, 116):
    data[offset] ^= 0xFF
open(path, 'wb').write(data)
EOF
verify_status=0
"$SHALE_BIN" verify --dir "$CLUSTER_DIR" >"$work/verify.out" 2>&1 || verify_status=$?
check "verification fails after corruption" "1" "$verify_status"
check_contains "verification names the group" "group1" "$(cat "$work/verify.out")"
check_contains "shale backups marks the backup invalid" "INVALID" "$("$SHALE_BIN" backups --dir "$CLUSTER_DIR")"
check "the verification failure is an event" "yes" \
  "$([ "$(router_sql "SELECT count(*) FROM shale.event WHERE kind = 'verify_failed'")" -ge 1 ] && echo yes || echo no)"


echo "# [$((SECONDS - started_at)) s] after verification"
# 7. a restore after a worker group was drained and removed keeps the source's group numbers
"$SHALE_BIN" drain --dir "$CLUSTER_DIR" --group 1 --remove >/dev/null
echo "# [$((SECONDS - started_at)) s] drained"
"$SHALE_BIN" backup --dir "$CLUSTER_DIR" >/dev/null
echo "# [$((SECONDS - started_at)) s] backed up"
state_after_drain=$(state)
# ... to a restore point made in SQL (not through the CLI), with a backup taken after it
router_sql "SELECT count(*) FROM shale.create_restore_point('after_drain')" >/dev/null
router_sql "UPDATE accounts SET balance = balance + 1000" >/dev/null
"$SHALE_BIN" backup --dir "$CLUSTER_DIR" >/dev/null
check_contains "shale backups lists a restore point made in SQL" "after_drain" "$("$SHALE_BIN" backups --dir "$CLUSTER_DIR")"
port=$(restore_to after_drain restored_drained)
check "restore after a group was removed, to a point made in SQL: the data" "$state_after_drain" "$(state_of "$port")"
check "restore after a group was removed: the same worker group" "2" \
  "$(psql "postgresql://postgres@127.0.0.1:$port/postgres" -X -A -t -c \
     "SELECT string_agg(group_id::text, ',' ORDER BY group_id) FROM shale.node WHERE group_id > 0")"

echo "# backup_restore took $((SECONDS - started_at)) s"
finish_checks "multinode backup_restore"
