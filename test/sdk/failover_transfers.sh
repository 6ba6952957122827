# failover_transfers.sh — the SDKs' failover test (source after cluster.sh and
# failover.sh, with a running cluster of at least 2 worker groups and 1 replica).
#
# transfers_under_failover LABEL=COMMAND... starts one transfer loop per SDK (each
# moves money between its own accounts on worker groups 1 and 2 through its SDK's
# transaction(fn); see sdk/*/…transfer…), kill -9s the primary of worker group 1,
# waits for the cluster to be whole again, kill -9s the router primary, switches
# the router back by plan (shale switchover: the serving node becomes a read-only
# standby that stays up), then stops the loops and checks, per SDK: the loop saw
# no error, every transfer it was told succeeded is recorded exactly once, no other
# transfer is, every account's balance is its start plus what the recorded
# transfers moved, the total is unchanged, and the loop went on after each kill and
# after the switchover. It prints the longest pause of one transfer after each
# event and the retry counts.
# A COMMAND is called as: COMMAND URI LABEL ACCOUNTS_A ACCOUNTS_B STOP_FILE RESULTS_FILE,
# and writes one line per transfer: "ok ID FROM TO AMOUNT MS ATTEMPTS SQLSTATE" or "err ID MESSAGE".

TRANSFER_START_BALANCE=1000

# accounts_on_group GROUP COUNT SKIP: COUNT comma-separated sdk_accounts ids whose
# shard lives on GROUP, after skipping the first SKIP such ids.
accounts_on_group() {
  uri_sql "SELECT string_agg(k::text, ',') FROM (SELECT k FROM generate_series(1, 2000) k
           JOIN shale.placement p ON p.shard_id = shale.shard_for('sdk_accounts', k)
           WHERE p.group_id = $1 ORDER BY k OFFSET $3 LIMIT $2) chosen"
}

setup_bank() {
  uri_sql "SET client_min_messages = warning; DROP TABLE IF EXISTS sdk_transfers, sdk_accounts" >/dev/null
  uri_sql "CREATE TABLE sdk_accounts (id bigint PRIMARY KEY, balance bigint NOT NULL)"
  uri_sql "SELECT shale.distribute_table('sdk_accounts', 'id')" >/dev/null
  uri_sql "CREATE TABLE sdk_transfers (from_id bigint NOT NULL, transfer_id text NOT NULL, to_id bigint NOT NULL,
           amount bigint NOT NULL, PRIMARY KEY (from_id, transfer_id))"
  uri_sql "SELECT shale.distribute_table('sdk_transfers', 'from_id', colocate_with => 'sdk_accounts')" >/dev/null
  uri_sql "INSERT INTO sdk_accounts SELECT k, $TRANSFER_START_BALANCE FROM generate_series(1, 2000) k" >/dev/null
}

# kill_primary_and_wait GROUP WHAT: kill -9 of the group's primary; waits for the promotion.
kill_primary_and_wait() {
  local port events
  port=$(primary_port "$1")
  events=$(uri_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = $1")
  kill_postmaster "$port" >/dev/null
  echo "# killed the $2 primary (port $port) with kill -9"
  if wait_for_sql "SELECT count(*) FROM shale.event WHERE kind = 'promoted' AND group_id = $1" $((events + 1)) 30; then
    echo "# $2: a replica was promoted"
  else
    echo "# $2: no promotion within 30 s"
  fi
}

# check_transfer_results LABEL ACCOUNTS RESULTS_FILE: the checks of one SDK's loop.
check_transfer_results() {
  local label=$1 accounts=$2 results=$3 ok_ids recorded_ids
  check "$label: the loop saw no error it had to handle" "0" "$(grep -c '^err' "$results")"
  grep '^err' "$results" | head -n 3
  check "$label: transfers done under failover" "yes" "$([ "$(grep -c '^ok' "$results")" -ge 50 ] && echo yes || echo no)"
  ok_ids=$(awk '$1 == "ok" {print $2}' "$results" | sort)
  recorded_ids=$(uri_sql "SELECT transfer_id FROM sdk_transfers WHERE transfer_id LIKE '$label-%'" | sort)
  check "$label: every successful transfer is recorded exactly once, and no other" "same" \
    "$([ "$ok_ids" = "$recorded_ids" ] && echo same || echo "differ: $(comm -3 <(echo "$ok_ids") <(echo "$recorded_ids") | head -n 5 | tr '\n' ' ')")"
  check "$label: every balance is its start plus the recorded transfers" "0" \
    "$(uri_sql "SELECT count(*) FROM sdk_accounts a WHERE a.id IN ($accounts) AND a.balance <> $TRANSFER_START_BALANCE
                - coalesce((SELECT sum(amount) FROM sdk_transfers WHERE from_id = a.id), 0)
                + coalesce((SELECT sum(amount) FROM sdk_transfers t WHERE t.to_id = a.id AND t.transfer_id LIKE '$label-%'), 0)")"
  check "$label: the total balance is unchanged" "$(($(echo "$accounts" | tr ',' '\n' | wc -l) * TRANSFER_START_BALANCE))" \
    "$(uri_sql "SELECT sum(balance) FROM sdk_accounts WHERE id IN ($accounts)")"
  awk -v label="$label" '$1 == "ok" { n++; if ($6 > max) max = $6; if ($7 > 1) { retried++; states[$8]++ } attempts += $7 }
    END { for (s in states) codes = codes " " s "x" states[s]
          printf "# %s: %d transfers, %d needed more than one attempt (%d attempts in all; last retried SQLSTATE:%s), longest pause %d ms\n",
          label, n, retried, attempts, codes, max }' "$results"
}

transfers_under_failover() {
  local spec label command a b pids=() labels=() skip=0
  setup_bank
  rm -f "$work/stop-transfers"
  for spec in "$@"; do
    label=${spec%%=*}
    command=${spec#*=}
    a=$(accounts_on_group 1 4 $skip)
    b=$(accounts_on_group 2 4 $skip)
    skip=$((skip + 4))
    eval "accounts_$label=\"$a,$b\""
    $command "$CLUSTER_URI" "$label" "$a" "$b" "$work/stop-transfers" "$work/transfers-$label" \
      2>"$work/transfers-$label.err" &
    pids+=($!)
    labels+=("$label")
  done
  # let every loop get going before the first kill
  for label in "${labels[@]}"; do
    wait_for_file_lines "$work/transfers-$label" 20 30 || echo "# $label: the loop does not run: $(head -c 500 "$work/transfers-$label.err")"
  done
  mark_loops worker "${labels[@]}"
  kill_primary_and_wait 1 "worker group 1"
  check_loops_go_on "worker group 1" "${labels[@]}"
  wait_cluster_healthy 90 || echo "# the cluster was not whole again within 90 s"
  mark_loops router "${labels[@]}"
  kill_primary_and_wait 0 "router"
  check_loops_go_on "router" "${labels[@]}"
  # a planned switchover back: the router node that serves turns into a read-only
  # standby and stays up, so the clients must leave it for the other one
  wait_cluster_healthy 90 || echo "# the cluster was not whole again within 90 s"
  mark_loops switchover "${labels[@]}"
  "$SHALE_BIN" switchover --dir "$CLUSTER_DIR" --group 0 >"$work/switchover.out" 2>&1 || cat "$work/switchover.out"
  echo "# switched the router primary over to port $(primary_port 0)"
  check_loops_go_on "router switchover" "${labels[@]}"
  touch "$work/stop-transfers"
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  for label in "${labels[@]}"; do
    eval "a=\$accounts_$label"
    check_transfer_results "$label" "$a" "$work/transfers-$label"
    eval "worker_mark=\$mark_worker_$label router_mark=\$mark_router_$label switch_mark=\$mark_switchover_$label"
    awk -v label="$label" -v w="$worker_mark" -v r="$router_mark" -v s="$switch_mark" '$1 == "ok" {
        if (NR > w && NR <= r && $6 > worker) worker = $6
        if (NR > r && NR <= s && $6 > router) router = $6
        if (NR > s && $6 > switched) switched = $6 }
      END { printf "# %s: longest pause from the worker kill on: %d ms; from the router kill on: %d ms; from the switchover on: %d ms\n",
            label, worker, router, switched }' "$work/transfers-$label"
  done
}

# mark_loops NAME LABEL...: remembers how many transfers each loop had done (mark_NAME_LABEL).
mark_loops() {
  local name=$1 label
  shift
  for label in "$@"; do eval "mark_${name}_$label=$(cat "$work/transfers-$label" | wc -l)"; done
}

# check_loops_go_on WHAT LABEL...: after a promotion, every loop completes 20 more
# transfers within 20 s (each line is one transfer).
check_loops_go_on() {
  local what=$1 label before
  shift
  for label in "$@"; do
    before=$(cat "$work/transfers-$label" | wc -l)
    check "$label: transfers go on after the $what failover" "yes" \
      "$(wait_for_file_lines "$work/transfers-$label" $((before + 20)) 20 && echo yes || echo no)"
  done
}

# wait_for_file_lines FILE N TIMEOUT: waits until FILE has at least N lines.
wait_for_file_lines() {
  local started=$SECONDS
  while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $((SECONDS - started)) -lt "$3" ]; do sleep 0.2; done
  [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]
}
