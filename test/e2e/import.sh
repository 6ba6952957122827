#!/usr/bin/env bash
# import.sh — end-to-end test of `shale import` (issue 17, docs/import.md): a real
# PostgreSQL 15 source (test/lib/source_postgres.sh, SCRAM passwords) holding the
# shop of test/e2e/import/source_schema.sql, imported into a real Shale cluster
# while an application role writes to it (test/e2e/import/source_writer.py).
# Checks: inspect and its refusals (unreachable, wrong password, a role without
# privileges, wal_level = replica, the table without a primary key), the plan
# (tenant column, reference tables), bad input to start (nothing left behind),
# an import killed with kill -9 during its copy, restarted, then aborted while
# following (nothing left on either side), an import copied under writes, killed
# with kill -9 and resumed, a failover of a worker group while it follows, a cutover that catches a row changed behind its back, a cutover that
# succeeds (write pause, verification, sequences), and the data on Shale
# compared with the source by queries of this script. The exit trap stops every
# server it started, by pid and data directory.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/source_postgres.sh
source test/lib/failover.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}

work=$(mktemp -d /tmp/shale-import.XXXXXX)
chmod 755 "$work"
writer_pid="" import_pid=""
cleanup() {
  touch "$work/stop-writer"
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null
  [ -n "$import_pid" ] && kill -9 "$import_pid" 2>/dev/null
  source_stop
  cluster_stop
  # IMPORT_TEST_OUTPUT=DIR keeps the commands' output (docs/import.md shows it)
  [ -n "${IMPORT_TEST_OUTPUT:-}" ] && mkdir -p "$IMPORT_TEST_OUTPUT" && cp "$work"/*.out "$work"/*.log "$work/plan.json" "$IMPORT_TEST_OUTPUT"/ 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "not ok - $*"
  [ -n "${dir:-}" ] && [ -d "$dir" ] && "$SHALE_BIN" import status --dir "$dir"
  echo "import: FAILED"
  exit 1
}

# shale_import ARGS: runs shale import, leaving its output in $out and exit code in $rc.
shale_import() {
  out=$("$SHALE_BIN" import "$@" 2>&1)
  rc=$?
}

# wait_for NAME TIMEOUT_S COMMAND…: polls COMMAND until it succeeds.
wait_for() {
  local name=$1 timeout=$2 started=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - started)) -ge "$timeout" ] && fail "$name: not within $timeout s"
    sleep 0.2
  done
}

# status_field DIR FIELD: a field of the import's status.json.
status_field() {
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1] + "/status.json")).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null
}
phase_is() { [ "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$1/import.json" 2>/dev/null)" = "$2" ]; }
# applied_past DIR LSN: Shale has applied the source's changes up to LSN.
applied_past() {
  local confirmed
  confirmed=$(status_field "$1" confirmed_lsn)
  [ -n "$confirmed" ] && [ "$(source_sql "SELECT '$confirmed'::pg_lsn >= '$2'::pg_lsn")" = t ]
}
# wait_caught_up NAME DIR: waits until Shale has applied what the source had written when called.
wait_caught_up() {
  local until_lsn
  until_lsn=$(source_sql "SELECT pg_current_wal_lsn()")
  wait_for "$1" 60 applied_past "$2" "$until_lsn"
}

start_app_writer() {
  rm -f "$work/stop-writer"
  /usr/bin/python3 test/e2e/import/source_writer.py \
    "host=127.0.0.1 port=$SOURCE_PORT dbname=postgres user=app password=app-secret" "$work/stop-writer" "$1" \
    >"$work/writer.out" 2>"$work/writer.err" &
  writer_pid=$!
}
stop_app_writer() {
  touch "$work/stop-writer"
  wait "$writer_pid"
  writer_pid=""
  [ -s "$work/writer.err" ] && cat "$work/writer.err"
}

# start_import LOG ARGS: shale import start in the background; sets import_pid.
start_import() {
  local log=$1
  shift
  "$SHALE_BIN" import start "$@" >"$log" 2>&1 &
  import_pid=$!
}

# Both sides, in one line per table: rows and a hash of every row (independent of shale import's own check).
TABLE_QUERY="SELECT 'orders', count(*), sum(hashtext(tenant_id || '/' || id || '/' || user_id || '/' || status || '/' || total)::bigint) FROM orders
  UNION ALL SELECT 'order_items', count(*), sum(hashtext(tenant_id || '/' || order_id || '/' || line || '/' || coalesce(product_id, 0) || '/' || quantity || '/' || coalesce(attributes::text, ''))::bigint) FROM order_items
  UNION ALL SELECT 'products', count(*), sum(hashtext(tenant_id || '/' || id || '/' || price || '/' || md5(description))::bigint) FROM products
  UNION ALL SELECT 'users', count(*), sum(hashtext(tenant_id || '/' || id || '/' || email::text || '/' || tags::text)::bigint) FROM users
  UNION ALL SELECT 'events', count(*), sum(hashtext(tenant_id || '/' || id || '/' || at || '/' || payload::text)::bigint) FROM events
  UNION ALL SELECT 'audit_log', count(*), sum(hashtext(tenant_id || '/' || message)::bigint) FROM audit_log
  UNION ALL SELECT 'tenants', count(*), sum(hashtext(id || '/' || name || '/' || country || '/' || settings::text)::bigint) FROM tenants
  ORDER BY 1"

# ---------------------------------------------------------------- the two sides
cluster_start "$work/cluster" || fail "shale up"
source_port=$(free_port_from $((ROUTER_PORT + 50)))
source_start "$work/source" "$source_port" replica || fail "source start"
PGPASSWORD=$SOURCE_PASSWORD psql "postgres://postgres@127.0.0.1:$SOURCE_PORT/postgres" -X -q -v ON_ERROR_STOP=1 \
  -f test/e2e/import/source_schema.sql >/dev/null || fail "loading the source schema"
source_sql "CREATE ROLE app LOGIN PASSWORD 'app-secret';
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app;
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO app" || fail "creating the application role"
source_uri="postgres://postgres:$SOURCE_PASSWORD@127.0.0.1:$SOURCE_PORT/postgres"
shale_uri=$CLUSTER_URI
# what is on Shale's router in schema public (nothing before the import, nothing after an abort)
shale_objects() { router_sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname IN ('public', 'shale_import')
                              UNION ALL SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE nspname = 'public' AND typname = 'order_status'
                              UNION ALL SELECT count(*) FROM pg_extension WHERE extname = 'citext'" | paste -sd/; }
source_objects() { source_sql "SELECT (SELECT count(*) FROM pg_replication_slots) || '/' || (SELECT count(*) FROM pg_publication) || '/' || (SELECT relreplident::text FROM pg_class WHERE relname = 'audit_log')"; }
check "Shale starts empty" "0/0/0" "$(shale_objects)"

# ---------------------------------------------------------------- inspect: refusals
shale_import inspect "postgres://postgres:x@127.0.0.1:$(free_port_from $((SOURCE_PORT + 1)))/postgres"
check "inspect: unreachable source fails" 1 "$rc"
check_contains "inspect: unreachable source says so" "cannot connect to the source database" "$out"
check_contains "inspect: unreachable source gets a hint" "hint: check the host and port" "$out"
shale_import inspect "postgres://postgres:wrong@127.0.0.1:$SOURCE_PORT/postgres"
check "inspect: wrong password fails" 1 "$rc"
check_contains "inspect: wrong password says so" "password authentication failed" "$out"
check_contains "inspect: wrong password gets a hint" "hint: check the user name and password" "$out"
shale_import inspect "postgres://app:app-secret@127.0.0.1:$SOURCE_PORT/postgres"
check "inspect: a role without privileges is not ready" 1 "$rc"
check_contains "inspect: names the missing REPLICATION" 'fix: as a superuser on the source: ALTER ROLE "app" REPLICATION;' "$out"
check_contains "inspect: names the tables it does not own" 'role "app" does not own' "$out"
shale_import inspect "$source_uri"
check "inspect: wal_level=replica is not ready" 1 "$rc"
check_contains "inspect: says which setting" 'wal_level is "replica" on the source' "$out"
check_contains "inspect: says it needs a restart" "ALTER SYSTEM SET wal_level = logical; then restart the source server" "$out"
check_contains "inspect: lists the table without a primary key" "tables without a primary key or replica identity: public.audit_log" "$out"
check_contains "inspect: offers REPLICA IDENTITY FULL or skipping" '"without_key": "replica_identity_full"' "$out"
shale_import start "$source_uri" --to "$shale_uri" --dir "$work/refused"
check "start: wal_level=replica is refused" 1 "$rc"
check_contains "start: refusal says nothing changed" "the source is not ready for an import; nothing was changed" "$out"
check "start refused: nothing on the source (slots/publications/identity)" "0/0/d" "$(source_objects)"
check "start refused: nothing on Shale" "0/0/0" "$(shale_objects)"

source_sql "ALTER SYSTEM SET wal_level = logical" >/dev/null
source_restart || fail "restarting the source"
shale_import inspect "$source_uri"
echo "$out" >"$work/inspect.out"
check_contains "inspect: sees wal_level=logical" "wal_level:   logical" "$out"
check_contains "inspect: the partitioned table" "partitioned (2 partitions), identity id" "$out"
check_contains "inspect: foreign keys" "public.order_items (tenant_id, order_id) -> public.orders (tenant_id, id)" "$out"
check_contains "inspect: sequences" "public.orders_id_seq, public.products_id_seq, public.users_id_seq (identity)" "$out"
check_contains "inspect: types" "public.order_status (enum)" "$out"
check_contains "inspect: extensions" "extensions:  citext" "$out"
case "$out" in *'wal_level is'*) check "inspect: no wal_level error once logical" "" "wal_level error" ;; esac

# ---------------------------------------------------------------- plan
shale_import plan "$source_uri" --out "$work/plan.json"
check "plan: exit 0" 0 "$rc"
plan_of() {
  /usr/bin/python3 -c 'import json,sys
plan = json.load(open(sys.argv[1]))
if sys.argv[2] == "tenant_column":
    print(plan["tenant_column"])
else:
    t = [t for t in plan["tables"] if t["table"] == sys.argv[2]][0]
    print(t["kind"] + ("/" + t["column"] if t.get("column") else "") + ("/" + t["without_key"] if t.get("without_key") else ""))' "$work/plan.json" "$1"
}
check "plan: the tenant column" tenant_id "$(plan_of tenant_column)"
check "plan: countries is a reference table" reference "$(plan_of public.countries)"
check "plan: currencies is a reference table" reference "$(plan_of public.currencies)"
check "plan: orders by tenant_id" distributed/tenant_id "$(plan_of public.orders)"
check "plan: order_items by tenant_id" distributed/tenant_id "$(plan_of public.order_items)"
check "plan: products by tenant_id (not its key id)" distributed/tenant_id "$(plan_of public.products)"
check "plan: tenants by id" distributed/id "$(plan_of public.tenants)"
check "plan: the partitioned events by tenant_id" distributed/tenant_id "$(plan_of public.events)"
check "plan: audit_log gets REPLICA IDENTITY FULL" distributed/tenant_id/replica_identity_full "$(plan_of public.audit_log)"
check_contains "plan: says what happens to the partitions" "imported as one table, its partitions are not kept" "$(cat "$work/plan.json")"

# bad usage and an edited plan that names a column the table does not have
shale_import frobnicate
check "usage: an unknown subcommand is bad usage" 2 "$rc"
shale_import start "$source_uri"
check "usage: start without --to is bad usage" 2 "$rc"
shale_import cutover --dir "$work/no-such-import"
check "cutover of a directory without an import fails" 1 "$rc"
check_contains "cutover of a directory without an import says so" "no import in $work/no-such-import" "$out"
/usr/bin/python3 -c 'import json,sys
plan = json.load(open(sys.argv[1]))
[t for t in plan["tables"] if t["table"] == "public.orders"][0]["column"] = "no_such_column"
json.dump(plan, open(sys.argv[2], "w"))' "$work/plan.json" "$work/bad-plan.json"
shale_import start "$source_uri" --to "$shale_uri" --plan "$work/bad-plan.json" --dir "$work/bad-plan"
check "start: a plan naming a missing column is refused" 1 "$rc"
check_contains "start: the refusal names the table" "public.orders" "$out"
check_contains "start: the refusal names the column" "no_such_column" "$out"
echo "$out" >"$work/bad-plan.out"

# a second schema, keyed by account_id: the plan finds that tenant column too
source_sql "CREATE DATABASE crm" >/dev/null
PGPASSWORD=$SOURCE_PASSWORD psql "postgres://postgres@127.0.0.1:$SOURCE_PORT/crm" -X -q -v ON_ERROR_STOP=1 -c "
  CREATE TABLE plans (code text PRIMARY KEY, monthly numeric);
  CREATE TABLE regions (id int PRIMARY KEY, name text);
  CREATE TABLE accounts (id bigint PRIMARY KEY, plan text REFERENCES plans, name text);
  CREATE TABLE contacts (account_id bigint REFERENCES accounts, id bigint, region int REFERENCES regions, PRIMARY KEY (account_id, id));
  CREATE TABLE deals (account_id bigint REFERENCES accounts, id bigint, contact_id bigint, amount numeric, PRIMARY KEY (account_id, id),
                      FOREIGN KEY (account_id, contact_id) REFERENCES contacts);
  CREATE TABLE notes (account_id bigint REFERENCES accounts, id bigserial, body text, PRIMARY KEY (account_id, id));
  INSERT INTO plans VALUES ('free', 0), ('pro', 20);
  INSERT INTO regions VALUES (1, 'emea'), (2, 'amer');
  INSERT INTO accounts SELECT a, (ARRAY['free', 'pro'])[1 + a % 2], 'account ' || a FROM generate_series(1, 500) a;
  INSERT INTO contacts SELECT 1 + c % 500, c, 1 + c % 2 FROM generate_series(1, 5000) c;
  INSERT INTO deals SELECT 1 + d % 500, d, d, d FROM generate_series(1, 5000) d;
  ANALYZE" >/dev/null || fail "creating the crm database"
shale_import plan "postgres://postgres:$SOURCE_PASSWORD@127.0.0.1:$SOURCE_PORT/crm" --out "$work/crm-plan.json"
crm_plan=$(/usr/bin/python3 -c 'import json,sys
plan = json.load(open(sys.argv[1]))
print(plan["tenant_column"], " ".join(t["table"].split(".")[1] + ":" + t["kind"] + (":" + t["column"] if t.get("column") else "") for t in plan["tables"]))' "$work/crm-plan.json")
check "plan (account_id schema): tenant column, accounts by id, lookups as reference tables" \
  "account_id accounts:distributed:id contacts:distributed:account_id deals:distributed:account_id notes:distributed:account_id plans:reference regions:reference" \
  "$crm_plan"
source_sql "DROP DATABASE crm" >/dev/null

# ---------------------------------------------------------------- start refused on bad input: nothing left behind
shale_import start "postgres://postgres:wrong@127.0.0.1:$SOURCE_PORT/postgres" --to "$shale_uri" --dir "$work/refused2"
check "start: a wrong source password is refused" 1 "$rc"
check_contains "start: wrong source password says so" "password authentication failed" "$out"
shale_import start "postgres://app:app-secret@127.0.0.1:$SOURCE_PORT/postgres" --to "$shale_uri" --dir "$work/refused3"
check "start: a role without privileges is refused" 1 "$rc"
check_contains "start: names the GRANT to run" 'ALTER ROLE "app" REPLICATION;' "$out"
shale_import start "$source_uri" --to "postgres://postgres:wrong@127.0.0.1:$ROUTER_PORT/postgres" --dir "$work/refused4"
check "start: a wrong Shale password is refused" 1 "$rc"
check_contains "start: wrong Shale password says which side" "cannot connect to the Shale database" "$out"
check "start refused (bad input): nothing on the source" "0/0/d" "$(source_objects)"
check "start refused (bad input): nothing on Shale" "0/0/0" "$(shale_objects)"

# ---------------------------------------------------------------- killed during the copy, resumed, then aborted
start_app_writer 1
start_import "$work/aborted.log" "$source_uri" --to "$shale_uri" --dir "$work/aborted" --plan "$work/plan.json" --jobs 1
wait_for "the import copies" 60 phase_is "$work/aborted" copying
kill -9 "$import_pid"
wait "$import_pid" 2>/dev/null
start_import "$work/aborted-resumed.log" --dir "$work/aborted"
wait_for "the import killed during its copy follows after a restart" 60 phase_is "$work/aborted" following
check_contains "killed during the copy: start --dir copies again" "stopped during phase copying: removing what it made and starting again" \
  "$(cat "$work/aborted-resumed.log")"
check "while importing: the source has a slot and a publication, audit_log is REPLICA IDENTITY FULL" "1/1/f" "$(source_objects)"
shale_import abort --dir "$work/aborted"
check "abort: exit 0" 0 "$rc"
check_contains "abort: drops the slot" "replication slot shale_import_" "$out"
check_contains "abort: says the source is as it was" "import aborted: the source is as it was" "$out"
wait "$import_pid"
import_pid=""
check "abort: nothing left on the source (slots/publications/identity)" "0/0/d" "$(source_objects)"
check "abort: nothing left on Shale" "0/0/0" "$(shale_objects)"
for port in $(router_sql "SELECT port FROM shale.nodes WHERE role = 'primary' AND group_id > 0"); do
  check "abort: no type, no extension left on the worker on $port" 0/0 \
    "$(port_sql "$port" "SELECT (SELECT count(*) FROM pg_type WHERE typname = 'order_status') || '/' || (SELECT count(*) FROM pg_extension WHERE extname = 'citext')")"
done
stop_app_writer

# ---------------------------------------------------------------- the import: copy under writes
start_app_writer 2
dir=$work/import
start_import "$work/start.log" "$source_uri" --to "$shale_uri" --dir "$dir" --plan "$work/plan.json"
wait_for "import follows" 60 phase_is "$dir" following
check_contains "start: reports the copy" "copy: public.order_items" "$(cat "$work/start.log")"
check_contains "start: the copy's total" "rows," "$(grep '^copy: .* MB/s)$' "$work/start.log")"
check_contains "start: dropped foreign key explained" "foreign key order_items_product_id_fkey of public.order_items is not created" "$(cat "$work/start.log")"
check "start: the extension's type is on Shale" citext \
  "$(router_sql "SELECT atttypid::regtype FROM pg_attribute WHERE attrelid = 'public.users'::regclass AND attname = 'email'")"
check "start: citext compares case-insensitively on Shale" 1 \
  "$(router_sql "SELECT count(*) FROM users WHERE tenant_id = 2 AND email = 'USER1@EXAMPLE.COM'")"
check "start: events is one plain table on Shale" r "$(router_sql "SELECT relkind FROM pg_class WHERE oid = 'public.events'::regclass")"
check "start: no partitions on Shale" 0 "$(router_sql "SELECT count(*) FROM pg_class WHERE relname LIKE 'events_2026%'")"
check "start: foreign keys on Shale" 7 "$(router_sql "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")"
check "start: products' key holds the tenant" "PRIMARY KEY (tenant_id, id)" \
  "$(router_sql "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'products_pkey'")"
check "start: how the tables are distributed on Shale" \
  "audit_log:distributed:tenant_id,countries:reference:,currencies:reference:,events:distributed:tenant_id,order_items:distributed:tenant_id,orders:distributed:tenant_id,products:distributed:tenant_id,tenants:distributed:id,users:distributed:tenant_id" \
  "$(router_sql "SELECT string_agg(table_name || ':' || kind || ':' || coalesce(distribution_column, ''), ',' ORDER BY table_name::text) FROM shale.tables")"
check "start: co-located with tenants" 1 "$(router_sql "SELECT count(DISTINCT colocation_id) FROM shale.tables WHERE kind = 'distributed'")"
wait_caught_up "Shale catches up while the writer runs" "$dir"
check_contains "status: following" "phase:    following" "$("$SHALE_BIN" import status --dir "$dir")"

# ---------------------------------------------------------------- kill -9 and resume
sleep 2
kill -9 "$import_pid"
wait "$import_pid" 2>/dev/null
import_pid=""
shale_import status --dir "$dir"
check_contains "status after kill -9: not running" "process:  not running" "$out"
sleep 2  # the writer goes on while no import runs
slot_inactive() { [ "$(source_sql "SELECT count(*) FROM pg_replication_slots WHERE NOT active")" = 1 ]; }
wait_for "after kill -9: the slot is kept, and nobody streams from it" 10 slot_inactive
start_import "$work/resume.log" --dir "$dir"
wait_caught_up "the resumed import catches up" "$dir"
check_contains "resume: says so" "resuming the import in $dir from replication slot" "$(cat "$work/resume.log")"
moves=$(status_field "$dir" moves)
check "follow: updates of the distribution column moved rows" yes "$([ "${moves:-0}" -gt 0 ] && echo yes || echo "no ($moves)")"
check "follow: no row was missing" 0 "$(status_field "$dir" missing_rows)"

# ---------------------------------------------------------------- a failover on the Shale side while following
primary_moved() { local port; port=$(primary_port 1 2>/dev/null); [ -n "$port" ] && [ "$port" != "$1" ]; }
old_primary=$(primary_port 1)
kill_postmaster "$old_primary" >/dev/null
wait_for "a replica of group 1 takes over" 60 primary_moved "$old_primary"
wait_caught_up "the import goes on after the failover" "$dir"
check "failover: the import process went on" yes "$(kill -0 "$import_pid" 2>/dev/null && echo yes || echo no)"

# ---------------------------------------------------------------- a row changed behind the import's back
router_sql "UPDATE settings SET value = 'light' WHERE key = 'theme'" >/dev/null
shale_import cutover --dir "$dir"
echo "$out" >"$work/cutover-refused.out"
wait "$import_pid" 2>/dev/null  # the cutover stopped the follower
import_pid=""
check "cutover: a changed row fails verification" 1 "$rc"
check_contains "cutover: names the table" "public.settings" "$(echo "$out" | grep DIFFERENT)"
check_contains "cutover: the other tables are equal" "equal" "$(echo "$out" | grep 'verify: public.orders ')"
check_contains "cutover: says what to do" "verification failed" "$out"
check "failed cutover: the application may write again" t \
  "$(source_sql "SELECT has_table_privilege('app', 'public.orders', 'INSERT')")"
check "failed cutover: the import keeps its slot" 1 "$(source_sql "SELECT count(*) FROM pg_replication_slots")"
router_sql "UPDATE settings SET value = 'dark' WHERE key = 'theme'" >/dev/null
start_import "$work/resume2.log" --dir "$dir"
wait_caught_up "the import catches up again" "$dir"

# ---------------------------------------------------------------- the cutover
shale_import cutover --dir "$dir"
echo "$out" >"$work/cutover.out"
wait "$import_pid" 2>/dev/null
import_pid=""
check "cutover: exit 0" 0 "$rc"
check "cutover: prints the new URI last" "$shale_uri" "$(echo "$out" | tail -n 1)"
pause_ms=$(echo "$out" | sed -n 's/^cutover: write pause \([0-9]*\) ms.*/\1/p')
check "cutover: reports a write pause under 2 s" yes "$([ -n "$pause_ms" ] && [ "$pause_ms" -lt 2000 ] && echo yes || echo "no ($pause_ms)")"
check "cutover: every table verified equal" 10 "$(echo "$out" | grep -c '^verify: public\..* equal$')"
check_contains "cutover: sequences set" "4 sequence(s) set" "$out"
stop_app_writer
writer=$(cat "$work/writer.out")
echo "writer: $writer; write pause ${pause_ms} ms"
check "after cutover: the application may not write to the source" f \
  "$(source_sql "SELECT has_table_privilege('app', 'public.orders', 'INSERT')")"
check "after cutover: no slot, no publication, replica identity back on the source" "0/0/d" "$(source_objects)"
check "after cutover: the import's progress table is gone from Shale" 0 \
  "$(router_sql "SELECT count(*) FROM pg_namespace WHERE nspname = 'shale_import'")"
check "after cutover: every table equal by this script's own query" "$(source_sql "$TABLE_QUERY")" "$(router_sql "$TABLE_QUERY")"
check "after cutover: toasted descriptions intact" "$(source_sql "SELECT min(length(description)) FROM products")" \
  "$(router_sql "SELECT min(length(description)) FROM products")"
check "after cutover: products moved between tenants are where the source has them" \
  "$(source_sql "SELECT string_agg(id || ':' || tenant_id, ',' ORDER BY id) FROM products")" \
  "$(router_sql "SELECT string_agg(id || ':' || tenant_id, ',' ORDER BY id) FROM (SELECT id, tenant_id FROM products) p")"
for sequence in orders_id_seq products_id_seq; do
  table=${sequence%_id_seq}
  check "after cutover: $sequence on Shale is past the source's ids" yes \
    "$([ "$(router_sql "SELECT nextval('$sequence')")" -gt "$(source_sql "SELECT max(id) FROM $table")" ] && echo yes || echo no)"
done
new_user=$(router_sql "INSERT INTO users (tenant_id, email) VALUES (1, 'after-cutover@example.com') RETURNING id")
check "after cutover: the identity column goes on past the source's" yes \
  "$([ "$new_user" -gt "$(source_sql "SELECT max(id) FROM users")" ] && echo yes || echo "no ($new_user)")"
shale_import abort --dir "$dir"
check "abort after the cutover is refused" 1 "$rc"
check_contains "abort after the cutover says why" "has cut over" "$out"

finish_checks import
