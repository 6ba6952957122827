#!/usr/bin/env bash
# two_phase_recovery.sh — prepared transactions left in doubt on workers (as a
# router crash between PREPARE and COMMIT PREPARED leaves them) are finished by
# shaled within seconds: committed where the router holds a commit record,
# rolled back where it does not (or where the router never assigned the xid
# the gid names); prepared transactions of others are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

with_test_cluster 2pc --workers 2 --replicas 0
group1_port=$(node_port group1)
group2_port=$(node_port group2)
system_id=$(router_sql "SELECT system_identifier FROM pg_control_system()")

# in doubt, decided to commit: a commit record exists on the router
port_sql "$group1_port" "BEGIN; CREATE TABLE decided_commit (x int); PREPARE TRANSACTION 'shale_${system_id}_3_g1'"
router_sql "INSERT INTO shale.commit_record (gid, group_ids) VALUES ('shale_${system_id}_3', '{1}')"
# in doubt, never decided: no record, and router transaction 4 is long gone
port_sql "$group2_port" "BEGIN; CREATE TABLE never_decided (x int); PREPARE TRANSACTION 'shale_${system_id}_4_g2'"
# in doubt from another life of the router: an xid it has not assigned yet (a
# crash lost it from the WAL, or a restore stopped before it). Even a commit
# record with that gid must not commit it: the router will reuse the xid.
future_xid=$(router_sql "SELECT txid_current() + 100000")
port_sql "$group1_port" "BEGIN; CREATE TABLE future_xid (x int); PREPARE TRANSACTION 'shale_${system_id}_${future_xid}_g1'"
router_sql "INSERT INTO shale.commit_record (gid, group_ids) VALUES ('shale_${system_id}_${future_xid}', '{1}')"
# somebody else's prepared transaction
port_sql "$group2_port" "BEGIN; CREATE TABLE not_ours (x int); PREPARE TRANSACTION 'other_app_1'"

prepared_shale_count() {
  echo $(( $(port_sql "$group1_port" "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shale\_%'") \
         + $(port_sql "$group2_port" "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shale\_%'") ))
}
started=$SECONDS
while [ "$(prepared_shale_count)" != 0 ] && [ $((SECONDS - started)) -lt 20 ]; do sleep 0.2; done
echo "# recovered after $((SECONDS - started)) s"

check "no shale prepared transaction left" "0" "$(prepared_shale_count)"
check "recorded transaction was committed" "decided_commit" "$(port_sql "$group1_port" "SELECT to_regclass('decided_commit')")"
check "unrecorded transaction was rolled back" "" "$(port_sql "$group2_port" "SELECT to_regclass('never_decided')")"
check "a transaction of an xid the router has not assigned was rolled back" "" \
  "$(port_sql "$group1_port" "SELECT to_regclass('future_xid')")"
check "another application's prepared transaction is untouched" "1" \
  "$(port_sql "$group2_port" "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'other_app_1'")"
port_sql "$group2_port" "ROLLBACK PREPARED 'other_app_1'"
# running recovery by hand when nothing is in doubt does nothing
check "recovery by hand: nothing to do" "0" "$(router_sql "SELECT shale.recover_prepared_transactions()")"

finish_checks "multinode two_phase_recovery"
