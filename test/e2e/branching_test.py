"""branching_test.py — branches and deploy requests end to end (run by
branching.sh): a schema branch with the parent's catalog, distribution and
co-location and no rows; protection of the parent; a deploy request under a
pgbench load (no client error, the longest stall, every shard changed); a
column drop, writes, revert (values back, new writes kept); lint findings;
a conflicting parent change; the kept objects removed after the revert window;
a branch with data at a restore point (exact rows); reset; TTL; bad input.
Every answer is checked against docs/control-plane-openapi.json."""
import glob
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from control_plane_client import Api, Serve  # noqa: E402

import psycopg2  # noqa: E402

SHALE = os.environ["SHALE_BIN"]
WORK = os.environ["CP_WORK"]
PORT = int(os.environ["CP_PORT"])
REVERT_WINDOW_S = 25
serve = Serve(SHALE, os.path.join(WORK, "serve"), PORT,
              ["--rate-limit", "200", "--revert-window", str(REVERT_WINDOW_S), "--database-ports", "31010-31990"])
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(message)


def step(title):
    print(f"--- {title}", flush=True)


password_file = serve.password_file


def connect(database):
    return serve.connect(database, autocommit=True)


def rows(database, sql, args=None):
    with connect(database) as connection, connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall() if cursor.description else None


def run(database, *statements):
    connection = connect(database)
    with connection.cursor() as cursor:
        cursor.execute("SET shale_deploy.request = 'test-setup'")
        for sql in statements:
            cursor.execute(sql)
    connection.close()


def worker_ports(database):
    return [int(port) for (port,) in rows(database, "SELECT port FROM shale.node WHERE role = 'primary' "
                                                    "AND group_id > 0 ORDER BY group_id")] \
        if rows(database, "SELECT 1 FROM information_schema.columns WHERE table_schema = 'shale' AND "
                          "table_name = 'node' AND column_name = 'port'") else []


def on_workers(database, sql):
    """The rows of sql on every worker primary, together."""
    found = []
    host_uri = database["uri"]
    for port in worker_ports(database):
        uri = host_uri.split("@")[0] + f"@127.0.0.1:{port}/postgres"
        with psycopg2.connect(uri, passfile=password_file(database)) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            found += cursor.fetchall()
    return found


def catalog(database):
    """What a schema branch must reproduce: tables, columns, distribution, co-location, indexes, constraints."""
    tables = rows(database, "SELECT table_name::text, kind, distribution_column::text, shard_count FROM shale.tables "
                            "ORDER BY 1")
    groups = rows(database, "SELECT string_agg(table_name::text, ',' ORDER BY table_name::text) FROM shale.tables "
                            "GROUP BY colocation_id ORDER BY 1")
    ranges = rows(database, "SELECT table_id::text, hash_min, hash_max FROM shale.shard ORDER BY 1, 2")
    columns = rows(database, "SELECT table_name, column_name, data_type, is_nullable, column_default FROM "
                             "information_schema.columns WHERE table_schema = 'public' ORDER BY 1, ordinal_position")
    indexes = rows(database, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
    constraints = rows(database, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                                 "connamespace = 'public'::regnamespace ORDER BY 1")
    sequences = rows(database, "SELECT sequencename, increment_by FROM pg_sequences WHERE schemaname = 'public' "
                               "ORDER BY 1")
    views = rows(database, "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1")
    return {"tables": tables, "colocation": groups, "ranges": ranges, "columns": columns, "indexes": indexes,
            "constraints": constraints, "sequences": sequences, "views": views}


def create_branch(api, parent, body):
    started = time.time()
    answer = api.post(f"/v1/databases/{parent['id']}/branches", body)
    check(answer.status == 202, f"branch {body}: {answer}")
    operation = api.wait_operation(answer.json["operation"]["id"], timeout=300)
    elapsed = time.time() - started
    check(operation["state"] == "succeeded", f"branch operation: {operation}")
    branch = api.get(f"/v1/databases/{parent['id']}/branches/{body['name']}").json["database"]
    return branch, elapsed


def open_request(api, parent, branch_name, expect=201):
    answer = api.post(f"/v1/databases/{parent['id']}/deploy-requests", {"branch": branch_name})
    check(answer.status == expect, f"deploy request from {branch_name}: {answer}")
    return answer.json.get("deploy_request") if answer.json else None


def deploy(api, parent, request, expect_state="deployed"):
    answer = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{request['number']}/deploy")
    check(answer.status == 202, f"deploy: {answer}")
    api.wait_operation(answer.json["operation"]["id"], timeout=300)
    now = api.get(f"/v1/databases/{parent['id']}/deploy-requests/{request['number']}").json["deploy_request"]
    check(now["state"] == expect_state, f"deploy request state {now['state']}: {now.get('error')} {now['steps']}")
    return now


def pgbench_load(parent, seconds, directory):
    script = os.path.join(directory, "load.sql")
    with open(script, "w") as out:
        out.write("\\set id random(1, 200)\n"
                  "\\set order_id random(1000000, 2000000000)\n"
                  "UPDATE accounts SET score = score + 1 WHERE id = :id;\n"
                  "INSERT INTO orders (id, account_id, total) VALUES (:order_id, :id, 5) ON CONFLICT DO NOTHING;\n"
                  "SELECT email, score FROM accounts WHERE id = :id;\n")
    uri = parent["uri"]
    return subprocess.Popen(["/usr/lib/postgresql/15/bin/pgbench" if not os.environ.get("SHALE_PG_BINDIR") else
                             os.environ["SHALE_PG_BINDIR"] + "/pgbench", "-n", "-c", "4", "-T", str(seconds), "-f",
                             script, "-l", "--log-prefix", os.path.join(directory, "pgbench_log"), uri],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=directory,
                            env=dict(os.environ, PGPASSFILE=password_file(parent)))


def main():
    serve.start()
    token = open(os.path.join(WORK, "first-token")).read().strip()
    api = Api(PORT, token)

    step("a parent database with reference, distributed and co-located tables")
    created = api.post("/v1/databases", {"name": "shop", "worker_groups": 2, "replicas": 0, "plan": "growth"})
    check(created.status == 202, f"create: {created}")
    check(api.wait_operation(created.json["operation"]["id"])["state"] == "succeeded", "shop created")
    parent = api.get(f"/v1/databases/{created.json['database']['id']}").json["database"]
    run(parent,
        "CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL)",
        "SELECT shale.make_reference_table('countries')",
        "INSERT INTO countries VALUES ('FR', 'France'), ('DE', 'Germany')",
        "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL, score int NOT NULL DEFAULT 0, "
        "country text, created_at timestamptz DEFAULT now(), CHECK (score >= 0))",
        "CREATE INDEX accounts_email ON accounts (email)",
        "SELECT shale.distribute_table('accounts', 'id', shard_count => 8)",
        "CREATE TABLE orders (id bigint NOT NULL, account_id bigint NOT NULL, total numeric(10,2), "
        "PRIMARY KEY (account_id, id), FOREIGN KEY (account_id) REFERENCES accounts (id))",
        "SELECT shale.distribute_table('orders', 'account_id', colocate_with => 'accounts')",
        "CREATE TABLE audit (id bigint NOT NULL, note text)",
        "SELECT shale.distribute_table('audit', 'id', shard_count => 4)",
        "CREATE SEQUENCE invoice_numbers INCREMENT BY 5",
        "CREATE VIEW big_spenders AS SELECT account_id, sum(total) AS spent FROM orders GROUP BY account_id",
        "CREATE FUNCTION score_label(s int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN s > 10 "
        "THEN 'high' ELSE 'low' END $$",
        "INSERT INTO accounts (email, country) SELECT 'user' || g || '@example.com', 'FR' FROM generate_series(1, 200) g",
        "INSERT INTO orders SELECT g, (g % 200) + 1, g FROM generate_series(1, 500) g")

    step("protect the parent: DDL refused outside deploy requests")
    patched = api.call("PATCH", f"/v1/databases/{parent['id']}", {"settings": {"protected": True}})
    check(patched.status == 200 and patched.json["database"]["settings"].get("protected") is True, f"protect: {patched}")
    role = api.post(f"/v1/databases/{parent['id']}/roles", {"name": "app"})
    check(role.status == 201, f"an application role on the protected database: {role}")
    for open_connection, who in [(lambda: psycopg2.connect(role.json["connection_uri"]), "application role"),
                                 (lambda: connect(parent), "superuser")]:
        connection = open_connection()
        connection.autocommit = True
        try:
            connection.cursor().execute("ALTER TABLE accounts ADD COLUMN sneaky int")
            check(False, f"DDL as {who} on a protected database was accepted")
        except psycopg2.Error as error:
            check("deploy request" in str(error) and error.pgcode == "42501", f"DDL as {who}: {error}")
        connection.close()
    check(rows(parent, "SELECT count(*) FROM accounts")[0][0] == 200, "writes still work on the protected parent")

    step("schema branch: same catalog, distribution and co-location, no rows")
    dev, ready_s = create_branch(api, parent, {"name": "dev", "data": "schema"})
    print(f"schema branch ready in {ready_s:.2f} s", flush=True)
    check(ready_s < 20, f"schema branch ready in {ready_s:.1f} s")
    check(dev["parent_id"] == parent["id"] and dev["branch_data"] == "schema" and dev["uri"] != parent["uri"],
          f"the branch is a database of its own: {dev}")
    expected, got = catalog(parent), catalog(dev)
    for part in expected:
        check(expected[part] == got[part], f"schema branch {part}: parent {expected[part]} branch {got[part]}")
    for table in ["countries", "accounts", "orders", "audit"]:
        check(rows(dev, f"SELECT count(*) FROM {table}")[0][0] == 0, f"the schema branch has no rows in {table}")
    listed = api.get(f"/v1/databases/{parent['id']}/branches").json["branches"]
    check([b["name"] for b in listed] == ["dev"], f"branch list: {listed}")

    step("changes on the branch: a column with a default, an index, a foreign key, a new distributed table")
    run(dev,
        "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free'",
        "CREATE INDEX orders_total ON orders (total)",
        "ALTER TABLE accounts ADD CONSTRAINT accounts_country_fkey FOREIGN KEY (country) REFERENCES countries (code)",
        "CREATE TABLE events (account_id bigint NOT NULL, id bigint NOT NULL, kind text, PRIMARY KEY (account_id, id))",
        "SELECT shale.distribute_table('events', 'account_id', colocate_with => 'accounts')")
    request = open_request(api, parent, "dev")
    check(request["state"] == "open" and request["deployable"], f"request opens gated: {request}")
    ddl = request["ddl"]
    for piece in ["ADD COLUMN plan text DEFAULT 'free'::text NOT NULL", "CREATE INDEX CONCURRENTLY orders_total",
                  "FOREIGN KEY (country) REFERENCES public.countries(code) NOT VALID",
                  "VALIDATE CONSTRAINT accounts_country_fkey", "CREATE TABLE public.events",
                  "shale.distribute_table('public.events', 'account_id', colocate_with => 'public.accounts')"]:
        check(piece in ddl, f"the DDL shows {piece!r}:\n{ddl}")
    codes = {f["code"] for f in request["lint"]}
    check({"non_concurrent_index", "foreign_key_without_not_valid"} <= codes, f"lint of the first request: {codes}")
    check(rows(parent, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND "
                       "column_name = 'plan'")[0][0] == 0, "gated: nothing ran before deploy")

    step("deploy under a pgbench write and read load")
    load = pgbench_load(parent, 12, WORK)
    time.sleep(2)  # the load runs before the deploy starts (pgbench has no readiness signal to poll)
    deployed = deploy(api, parent, request)
    output, _ = load.communicate(timeout=60)
    output = output.decode()
    check(load.returncode == 0 and "aborted" not in output and "error" not in output.lower(),
          f"pgbench: no client error: {output[-800:]}")
    latencies = []
    for path in glob.glob(os.path.join(WORK, "pgbench_log*")):
        for line in open(path):
            parts = line.split()
            if len(parts) >= 3:
                latencies.append(int(parts[2]) / 1000.0)
    longest = max(latencies) if latencies else 0
    print(f"pgbench: {len(latencies)} transactions, longest {longest:.0f} ms", flush=True)
    check(len(latencies) > 100, f"pgbench ran ({len(latencies)} transactions)")
    check(longest < 1000, f"longest write stall {longest:.0f} ms < 1 s")
    check(deployed["parent_state"] == "changed" and all(s["state"] == "succeeded" for s in deployed["steps"]),
          f"every step succeeded: {deployed['steps']}")
    shards = rows(parent, "SELECT count(*) FROM shale.shard s JOIN shale.distributed_table d USING (table_id) "
                          "WHERE d.table_id = 'accounts'::regclass")[0][0]
    check(len(on_workers(parent, "SELECT 1 FROM pg_attribute WHERE attrelid::regclass::text LIKE 'accounts\\_%' "
                                 "AND attname = 'plan'")) == shards, "the column is on every accounts shard")
    check(len(on_workers(parent, "SELECT 1 FROM pg_indexes WHERE indexname LIKE 'orders\\_total\\_%'")) == shards,
          "the index is on every orders shard")
    check(len(on_workers(parent, "SELECT 1 FROM pg_constraint WHERE conname = 'accounts_country_fkey' AND "
                                 "convalidated")) == shards, "the validated foreign key is on every accounts shard")
    check(len(on_workers(parent, "SELECT 1 FROM pg_tables WHERE tablename LIKE 'events\\_%'")) == shards,
          "the new table has a shard next to each accounts shard")
    check(rows(parent, "SELECT count(*) FROM accounts WHERE plan = 'free'")[0][0] >= 200, "old rows have the default")
    check(rows(parent, "SELECT a.colocation_id = e.colocation_id FROM shale.tables a, shale.tables e WHERE "
                       "a.table_name = 'accounts'::regclass AND e.table_name = 'events'::regclass")[0][0],
          "the new table is co-located as on the branch")
    bad = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{request['number']}/deploy")
    check(bad.status == 409, f"deploying a deployed request: {bad}")

    step("deploy a column drop, write other columns, revert")
    before = dict(rows(parent, "SELECT id, country FROM accounts"))
    run(dev, "ALTER TABLE accounts DROP COLUMN country")
    drop_request = open_request(api, parent, "dev")
    check(any(f["code"] == "drop_column" for f in drop_request["lint"]), f"lint drop_column: {drop_request['lint']}")
    check([s["action"] for s in drop_request["steps"]] == ["drop_constraint", "drop_column"],
          f"the second request has only the new change (the column and its foreign key): {drop_request['ddl']}")
    deploy(api, parent, drop_request)
    check(rows(parent, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND "
                       "column_name = 'country'")[0][0] == 0, "the column is gone for the application")
    run(parent, "UPDATE accounts SET score = score + 1000 WHERE id <= 50",
        "INSERT INTO accounts (email) SELECT 'late' || g || '@example.com' FROM generate_series(1, 20) g")
    reverted = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{drop_request['number']}/revert")
    check(reverted.status == 202, f"revert: {reverted}")
    api.wait_operation(reverted.json["operation"]["id"])
    after = api.get(f"/v1/databases/{parent['id']}/deploy-requests/{drop_request['number']}").json["deploy_request"]
    check(after["state"] == "reverted", f"reverted: {after}")
    back = dict(rows(parent, "SELECT id, country FROM accounts WHERE email NOT LIKE 'late%'"))
    check(back == before, "the column is back with its old values")
    check(rows(parent, "SELECT count(*) FROM accounts WHERE score >= 1000")[0][0] == 50, "updates made since are kept")
    check(rows(parent, "SELECT count(*) FROM accounts WHERE email LIKE 'late%' AND country IS NULL")[0][0] == 20,
          "rows inserted since are kept")
    again = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{drop_request['number']}/revert")
    check(again.status == 409, f"reverting twice: {again}")

    step("lint: rewrites, NOT NULL, CHECK, rename, distribution change")
    lint_branch, _ = create_branch(api, parent, {"name": "lint", "data": "schema"})
    run(lint_branch,
        "ALTER TABLE accounts ALTER COLUMN score TYPE bigint",
        "ALTER TABLE accounts ALTER COLUMN created_at SET NOT NULL",
        "ALTER TABLE accounts ADD CONSTRAINT email_has_at CHECK (email LIKE '%@%')",
        "ALTER TABLE accounts RENAME COLUMN email TO email_address",
        "SELECT shale.undistribute_table('audit')",
        "SELECT shale.distribute_table('audit', 'note', shard_count => 4)")
    lint_request = open_request(api, parent, "lint")
    found = {(f["code"], f["severity"]) for f in lint_request["lint"]}
    for expected_finding in [("table_rewrite", "warning"), ("not_null_without_not_valid", "info"),
                             ("check_without_not_valid", "info"), ("rename_column", "warning"),
                             ("distribution_column_change", "error")]:
        check(expected_finding in found, f"lint finds {expected_finding}: {found}")
    for finding in lint_request["lint"]:
        check(finding["why"] and finding["what_to_do"], f"every finding says why and what to do: {finding}")
    check(any(f["lock_estimate_seconds"] is not None for f in lint_request["lint"]), "lock estimates are given")
    check(not lint_request["deployable"], "a request with lint errors is not deployable")
    refused = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{lint_request['number']}/deploy")
    check(refused.status == 409 and refused.json["code"] == "lint_errors", f"deploying with lint errors: {refused}")

    step("conflict: the parent changed the same object since the branch was made")
    conflict_branch, _ = create_branch(api, parent, {"name": "conflict", "data": "schema"})
    run(conflict_branch, "ALTER TABLE audit ALTER COLUMN note SET DEFAULT 'from the branch'")
    run(parent, "ALTER TABLE audit ALTER COLUMN note SET DEFAULT 'from the parent'")  # a superuser, bypassing
    conflict_request = open_request(api, parent, "conflict")
    check([c["object"] for c in conflict_request["conflicts"]] == ["column public.audit.note"],
          f"conflict detected: {conflict_request['conflicts']}")
    refused = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{conflict_request['number']}/deploy")
    check(refused.status == 409 and refused.json["code"] == "conflict", f"deploying a conflict: {refused}")

    step("bad input: unknown branch, closed request, revert after the window")
    unknown = api.post(f"/v1/databases/{parent['id']}/deploy-requests", {"branch": "nope"})
    check(unknown.status == 422 and unknown.json["field"] == "branch", f"unknown branch: {unknown}")
    check(api.post(f"/v1/databases/{parent['id']}/deploy-requests", {}).status == 422, "no branch: 422")
    check(api.post(f"/v1/databases/{parent['id']}/deploy-requests", {"branch": "dev", "x": 1}).status == 422,
          "unknown field: 422")
    closed = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{conflict_request['number']}/close")
    check(closed.status == 200 and closed.json["deploy_request"]["state"] == "closed", f"close: {closed}")
    on_closed = api.post(f"/v1/databases/{parent['id']}/deploy-requests/{conflict_request['number']}/deploy")
    check(on_closed.status == 409 and on_closed.json["code"] == "closed", f"deploying a closed request: {on_closed}")
    check(api.get(f"/v1/databases/{parent['id']}/deploy-requests/999").status == 404, "unknown request: 404")
    check(api.post(f"/v1/databases/{parent['id']}/branches", {"name": "Bad!"}).status == 422, "bad branch name: 422")
    check(api.post(f"/v1/databases/{parent['id']}/branches", {"name": "x", "data": "no way!"}).status == 422,
          "bad data: 422")
    check(api.post(f"/v1/databases/{parent['id']}/branches", {"name": "dev"}).status == 409, "taken name: 409")
    check(api.post(f"/v1/databases/{parent['id']}/branches", {"name": "t", "ttl_seconds": 1}).status == 422,
          "ttl too short: 422")
    check(api.get(f"/v1/databases/{parent['id']}/branches/nope").status == 404, "unknown branch: 404")
    deadline = time.time() + REVERT_WINDOW_S + 30
    target = f"/v1/databases/{parent['id']}/deploy-requests/{request['number']}"
    while time.time() < deadline and api.get(target).json["deploy_request"]["revert_seconds_left"] is not None:
        time.sleep(1)
    late = api.post(target + "/revert")
    check(late.status == 409 and late.json["code"] == "revert_window_closed", f"revert after the window: {late}")

    step("kept objects are removed when the revert window closes")
    # the branch still lacks the column whose drop was reverted on the parent: a new request drops it again
    drop_again = open_request(api, parent, "dev")
    deploy(api, parent, drop_again)
    hidden = "SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname LIKE '\\_shale\\_dropped\\_%' AND NOT attisdropped"
    check(rows(parent, hidden)[0][0] == 1, "the dropped column is kept hidden during the window")
    deadline = time.time() + REVERT_WINDOW_S + 30
    while time.time() < deadline and rows(parent, hidden)[0][0] != 0:
        time.sleep(1)
    check(rows(parent, hidden)[0][0] == 0, "the hidden column is removed after the window")

    step("a branch with data at a restore point: exact rows per table")
    backup = api.post(f"/v1/databases/{parent['id']}/backups", {"kind": "full"})
    check(api.wait_operation(backup.json["operation"]["id"], timeout=300)["state"] == "succeeded", "backup")
    point = api.post(f"/v1/databases/{parent['id']}/restore-points", {"name": "before-more"})
    check(api.wait_operation(point.json["operation"]["id"])["state"] == "succeeded", "restore point")
    counts = {t: rows(parent, f"SELECT count(*) FROM {t}")[0][0] for t in ["countries", "accounts", "orders"]}
    run(parent, "INSERT INTO orders SELECT 900000 + g, 1, 1 FROM generate_series(1, 30) g")
    with_data, data_s = create_branch(api, parent, {"name": "snapshot", "data": "before-more"})
    print(f"branch with data ready in {data_s:.2f} s", flush=True)
    for table, count in counts.items():
        got = rows(with_data, f"SELECT count(*) FROM {table}")[0][0]
        check(got == count, f"{table}: {got} rows on the branch, {count} at the point")
    try:
        rows(with_data, "CREATE TABLE scratch (a int)")
    except psycopg2.Error as error:
        check(False, f"a branch of a protected parent is not protected: {error}")

    step("reset: back to the parent's schema, same URI")
    run(lint_branch, "CREATE TABLE scratch (a int)")
    reset = api.post(f"/v1/databases/{parent['id']}/branches/lint/reset")
    check(reset.status == 202, f"reset: {reset}")
    check(api.wait_operation(reset.json["operation"]["id"])["state"] == "succeeded", "reset succeeded")
    lint_after = api.get(f"/v1/databases/{parent['id']}/branches/lint").json["database"]
    check(lint_after["uri"] == lint_branch["uri"], "reset keeps the URI")
    check(catalog(lint_after)["tables"] == catalog(parent)["tables"], "reset: the parent's tables again")
    check(catalog(lint_after)["columns"] == catalog(parent)["columns"], "reset: the parent's columns again")

    step("TTL and delete: the branch and its servers go")
    ttl_branch, _ = create_branch(api, parent, {"name": "short", "data": "schema", "ttl_seconds": 10})
    check(ttl_branch["expires_at"] is not None, "the branch shows when it expires")
    directory = os.path.join(WORK, "serve", "databases", ttl_branch["id"])
    deadline = time.time() + 90
    while time.time() < deadline and (os.path.exists(directory) or
                                      api.get(f"/v1/databases/{parent['id']}/branches/short").status != 404):
        time.sleep(1)
    check(not os.path.exists(directory), "the expired branch's servers and files are removed")
    deleted = api.call("DELETE", f"/v1/databases/{parent['id']}/branches/snapshot")
    check(deleted.status == 202, f"delete a branch: {deleted}")

    step("CLI: shale branch and shale deploy-request")
    env = dict(os.environ, SHALE_API_URL=f"http://127.0.0.1:{PORT}", SHALE_TOKEN=token)
    listing = subprocess.run([SHALE, "branch", "list", "shop"], env=env, capture_output=True, text=True)
    check(listing.returncode == 0 and "dev (" in listing.stdout, f"shale branch list: {listing}")
    shown = subprocess.run([SHALE, "deploy-request", "show", "shop", str(request["number"]), "--api",
                            f"http://127.0.0.1:{PORT}", "--token", token], capture_output=True, text=True)
    check(shown.returncode == 0 and "CREATE INDEX CONCURRENTLY" in shown.stdout, f"deploy-request show: {shown}")
    missing = subprocess.run([SHALE, "deploy-request", "create", "shop", "--branch", "nope"], env=env,
                             capture_output=True, text=True)
    check(missing.returncode == 1 and "no branch" in missing.stderr, f"CLI unknown branch: {missing}")
    print(f"branching: {checks} checks passed", flush=True)
    serve.stop()


if __name__ == "__main__":
    main()
