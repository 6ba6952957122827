"""control_plane_test.py — end-to-end tests of `shale serve` (run by
control_plane.sh): every /v1 endpoint against real databases; no token, a wrong,
expired, revoked or other organization's token; scopes; plan limits;
Idempotency-Key; bad input never a 500; rate limits; kill -9 of shale serve in
the middle of a creation; the CLI's API commands and their exit codes. Every
answer is checked against docs/control-plane-openapi.json."""
import json
import os
from concurrent.futures import ThreadPoolExecutor
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from control_plane_client import Api, Serve, OPENAPI  # noqa: E402
from portal_api_checks import check_sign_in, check_tables  # noqa: E402
from insights_api_checks import check_insights  # noqa: E402

import psycopg2  # noqa: E402

SHALE = os.environ["SHALE_BIN"]
WORK = os.environ["CP_WORK"]
PORT = int(os.environ["CP_PORT"])
GRACE_S = 6
serve = Serve(SHALE, os.path.join(WORK, "serve"), PORT,
              ["--grace-period", str(GRACE_S), "--rate-limit", "100", "--storage-interval", "1"])
checks = 0



connect_database = serve.connect

def check(condition, message):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(message)


def step(title):
    print(f"--- {title}", flush=True)


def port_accepts(port):
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def router_port(database):
    return int(database["uri"].split("@")[1].split("/")[0].split(":")[1].split(",")[0])


def create_database(api, body, key=None):
    headers = {"Idempotency-Key": key} if key else None
    answer = api.post("/v1/databases", body, headers=headers)
    check(answer.status == 202, f"create {body}: {answer}")
    started = time.time()
    operation = api.wait_operation(answer.json["operation"]["id"])
    elapsed = time.time() - started
    database = api.get(f"/v1/databases/{answer.json['database']['id']}").json["database"]
    return answer, operation, database, elapsed


def main():
    serve.start()
    token = open(os.path.join(WORK, "first-token")).read().strip()
    api = Api(PORT, token)

    step("OpenAPI document and public answers")
    document = api.get("/v1/openapi.json", token=None)
    check(document.status == 200 and document.json == OPENAPI, "GET /v1/openapi.json serves the repository's file")
    check(api.get("/v1/nothing").status == 404, "unknown path: 404")
    wrong = api.call("PUT", "/v1/databases", {})
    check(wrong.status == 405 and "GET" in wrong.headers.get("allow", ""), f"wrong method: 405 with Allow: {wrong}")

    step("authentication: no token, malformed, wrong")
    for bad in [None, "shl_" + "0" * 64, "garbage"]:
        answer = api.get("/v1/databases", token=bad)
        check(answer.status == 401 and answer.json["code"] == "unauthorized", f"token {bad!r}: {answer}")
    answer = api.call("GET", "/v1/databases", token=None, headers={"Authorization": "Basic abc"})
    check(answer.status == 401, f"Basic auth: {answer}")

    step("portal sign-in: first admin, sessions, CSRF, members and roles")
    check_sign_in(api, check)

    step("organization, plans, templates")
    organization = api.get("/v1/organization").json["organization"]
    check(organization["operator"] and organization["name"] == "default", f"first organization: {organization}")
    check(api.call("PATCH", "/v1/organization", {"name": "acme"}).json["organization"]["name"] == "acme", "rename")
    check(api.call("PATCH", "/v1/organization", {"name": ""}).status == 422, "empty organization name: 422")
    plans = {plan["name"]: plan["limits"] for plan in api.get("/v1/plans").json["plans"]}
    check(plans["free"] == {"databases": 1, "worker_groups": 2, "storage_gb": 10}, f"free plan: {plans['free']}")
    check(plans["starter"]["databases"] == 3 and plans["growth"]["databases"] is None, f"plans: {plans}")
    templates = [t["name"] for t in api.get("/v1/templates").json["templates"]]
    check(set(templates) >= {"blank", "saas", "events", "ecommerce"}, f"templates: {templates}")
    saas = api.get("/v1/templates/saas").json["template"]
    check("distribute_table" in saas["distribution_sql"] and saas["example_queries_sql"], "template details")
    check(api.get("/v1/templates/nope").status == 404, "unknown template: 404")
    check(api.get("/v1/templates/..%2F..%2Fetc").status == 404, "template path traversal: 404")

    step("tokens: scopes, expiry, revocation")
    created = api.post("/v1/tokens", {"name": "reader", "scope": "read"})
    check(created.status == 201 and created.json["secret"].startswith("shl_"), f"token create: {created}")
    reader = Api(PORT, created.json["secret"])
    check(reader.get("/v1/databases").status == 200, "read token can list")
    refused = reader.post("/v1/databases", {"name": "nope"})
    check(refused.status == 403 and refused.json["code"] == "insufficient_scope", f"read token cannot create: {refused}")
    check(reader.get("/v1/tokens").status == 403, "read token cannot list tokens")
    listed = api.get("/v1/tokens").text
    check(created.json["secret"] not in listed, "token list never shows a secret")
    writer_secret = api.post("/v1/tokens", {"name": "writer", "scope": "write"}).json["secret"]
    writer = Api(PORT, writer_secret)
    short = api.post("/v1/tokens", {"name": "short", "scope": "read", "expires_in_seconds": 1}).json["secret"]
    time.sleep(1.5)
    expired = api.get("/v1/databases", token=short)
    check(expired.status == 401 and "expired" in expired.json["message"], f"expired token: {expired}")
    revoked_id = created.json["token"]["id"]
    check(api.call("DELETE", f"/v1/tokens/{revoked_id}").json["token"]["revoked_at"] is not None, "revoke")
    answer = reader.get("/v1/databases")
    check(answer.status == 401 and "revoked" in answer.json["message"], f"revoked token: {answer}")
    check(api.call("DELETE", "/v1/tokens/tok_0000000000000000").status == 404, "revoke unknown token: 404")
    for bad in [{"name": "x", "scope": "root"}, {"scope": "read"}, {"name": "x", "expires_in_seconds": 0},
                {"name": "x", "expires_in_seconds": "soon"}, {"name": 7}, {"name": "x", "extra": 1}]:
        answer = api.post("/v1/tokens", bad)
        check(answer.status == 422 and "field" in answer.json, f"bad token body {bad}: {answer}")

    step("parallel requests: one Idempotency-Key, many clients at once")
    tokens_before = len(api.get("/v1/tokens").json["tokens"])
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: api.post("/v1/tokens", {"name": "parallel"},
                                                   headers={"Idempotency-Key": "parallel-token"}), range(24)))
    check(all(a.status == 201 for a in answers), f"every parallel retry answered 201: {[a.status for a in answers]}")
    check(len({a.json["token"]["id"] for a in answers}) == 1, "every parallel retry got the same token")
    check(len(api.get("/v1/tokens").json["tokens"]) == tokens_before + 1, "exactly one token was made")
    with ThreadPoolExecutor(max_workers=12) as pool:
        listed = list(pool.map(lambda _: api.get("/v1/plans").status, range(48)))
    check(listed == [200] * 48, f"48 parallel GETs: {set(listed)}")

    step("bad input is a 4xx, never a 500")
    for raw, status in [("{", 400), ("[1, 2]", 400), ("null", 400), ('"text"', 400), ("{}", 422),
                        ('{"name": ""}', 422), ('{"name": "UPPER"}', 422), ('{"name": "a-"}', 422),
                        ('{"name": "' + "a" * 64 + '"}', 422), ('{"name": "x", "worker_groups": "two"}', 422),
                        ('{"name": "x", "worker_groups": 0}', 422), ('{"name": "x", "replicas": 5}', 422),
                        ('{"name": "x", "plan": "platinum"}', 422), ('{"name": "x", "template": "../../etc"}', 422),
                        ('{"name": "x", "template": "nope"}', 422), ('{"name": "x", "settings": {"color": 1}}', 422),
                        ('{"name": "x", "settings": []}', 422), ('{"name": "x", "id": "db_1"}', 422),
                        ('{"name": "x", "worker_groups": 1e400}', 400)]:
        answer = api.call("POST", "/v1/databases", raw=raw)
        check(answer.status == status and answer.json and answer.json.get("code"), f"body {raw[:40]}: {answer}")
    huge = api.call("POST", "/v1/databases", raw='{"name": "' + "x" * 70000 + '"}', check=False)
    check(huge.status == 413 and huge.json["code"] == "payload_too_large", f"70 kB body: {huge}")
    for target in ["/v1/audit-log?limit=abc", "/v1/audit-log?limit=0", "/v1/operations?limit=99999",
                   "/v1/audit-log?before=-1", "/v1/databases?include_deleted=yes"]:
        check(api.get(target).status == 400, f"bad query {target}: 400")
    check(api.get("/v1/databases/db_nope").status == 404, "unknown database: 404")
    check(api.get("/v1/operations/op_nope").status == 404, "unknown operation: 404")
    long_key = api.post("/v1/databases", {"name": "k"}, headers={"Idempotency-Key": "k" * 300})
    check(long_key.status == 400, f"Idempotency-Key over 255 characters: {long_key}")

    step("create a database from the saas template, with an Idempotency-Key")
    body = {"name": "tenants", "template": "saas", "worker_groups": 1, "replicas": 0}
    first, operation, database, elapsed = create_database(writer, body, key="create-tenants-1")
    print(f"    create to ready: {elapsed:.1f} s (router + 1 worker group, no replicas)")
    check(operation["state"] == "succeeded" and operation["progress"] == 100, f"operation: {operation}")
    check([s["state"] for s in operation["steps"]] == ["succeeded"] * 4, f"steps: {operation['steps']}")
    check(database["state"] == "ready" and database["uri"].startswith("postgres://"), f"database: {database}")
    check(first.headers.get("location") == f"/v1/operations/{operation['id']}", "Location header")
    replay = writer.post("/v1/databases", body, headers={"Idempotency-Key": "create-tenants-1"})
    check(replay.status == 202 and replay.json["database"]["id"] == database["id"] and
          replay.headers.get("idempotent-replayed") == "true", f"replayed create: {replay}")
    reused = writer.post("/v1/databases", dict(body, name="other"), headers={"Idempotency-Key": "create-tenants-1"})
    check(reused.status == 409 and reused.json["code"] == "idempotency_key_reused", f"reused key: {reused}")
    check(len(api.get("/v1/databases").json["databases"]) == 1, "the retried create made no second database")
    with connect_database(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants")
        check(cursor.fetchone()[0] == 20, "the saas sample rows are there")
        cursor.execute("SELECT count(*) FROM shale.tables WHERE kind = 'distributed'")
        check(cursor.fetchone()[0] == 4, "four distributed tables")
    taken = writer.post("/v1/databases", dict(body, name="tenants", plan="starter"))
    check(taken.status == 409 and taken.json["field"] == "name", f"same name: {taken}")

    step("plan limits")
    over = writer.post("/v1/databases", {"name": "second-free", "worker_groups": 1})
    check(over.status == 403 and over.json["code"] == "plan_limit" and "free" in over.json["message"],
          f"second free database: {over}")
    wide = writer.post("/v1/databases", {"name": "wide", "plan": "starter", "worker_groups": 11})
    check(wide.status == 403 and "starter" in wide.json["message"] and wide.json["field"] == "worker_groups",
          f"11 worker groups on starter: {wide}")
    check(api.call("PATCH", f"/v1/databases/{database['id']}", {"plan": "gold"}).status == 422, "unknown plan: 422")

    step("storage against the plan's limit")
    deadline = time.time() + 20
    while time.time() < deadline and api.get(f"/v1/databases/{database['id']}").json["database"]["storage_bytes"] is None:
        time.sleep(0.5)
    measured = api.get(f"/v1/databases/{database['id']}").json["database"]
    check(measured["storage_bytes"] and measured["storage_bytes"] > 1000000 and measured["storage_limit_gb"] == 10,
          f"storage measured against the free plan's 10 GB: {measured}")

    step("database details: nodes, shards, events, backups")
    base = f"/v1/databases/{database['id']}"
    nodes = api.get(base + "/nodes").json["nodes"]
    check(len(nodes) == 2 and {n["role"] for n in nodes} == {"primary"}, f"nodes: {nodes}")
    shards = api.get(base + "/shards").json["shards"]
    check(len(shards) == 4 * 8 + 1 and all(s["group_id"] == 1 for s in shards), f"{len(shards)} shards")
    events = api.get(base + "/events?limit=5").json
    check(isinstance(events["events"], list), "events")
    check(api.get(base + "/events?since=abc").status == 400, "bad since: 400")
    backups = api.get(base + "/backups").json
    check("backups" in backups and "restore_points" in backups, f"backups: {backups}")

    step("tables and metrics of a database, from its router")
    check_tables(api, check, database, connect_database)

    step("query insights and advice of a database")
    check_insights(api, check, database, connect_database)

    step("roles")
    role = writer.post(base + "/roles", {"name": "app"})
    check(role.status == 201 and len(role.json["password"]) == 24 and
          role.json["password"] in role.json["connection_uri"], f"role create: {role}")
    with psycopg2.connect(role.json["connection_uri"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_user, count(*) FROM tasks WHERE tenant_id = 3")
        check(cursor.fetchone() == ("app", 10), "the role reads a tenant's tasks")
        cursor.execute("INSERT INTO tenants (id, name, plan_code) VALUES (1000, 'new', 'free')")
    authority = writer.get("/v1/ca-certificate")
    check(authority.status == 200 and authority.json["ca_certificate"].startswith("-----BEGIN CERTIFICATE-----"),
          f"the installation's CA certificate: {authority}")
    ca_file = os.path.join(WORK, "ca.crt")
    with open(ca_file, "w") as out:
        out.write(authority.json["ca_certificate"])
    verify_full = role.json["connection_uri"] + "&sslmode=verify-full&sslrootcert=" + ca_file
    with psycopg2.connect(verify_full) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        check(cursor.fetchone() == (True,), "the role connects with sslmode=verify-full and the CA from the API")
    try:
        psycopg2.connect(role.json["connection_uri"].replace(role.json["password"], "wrong-password")).close()
        check(False, "a wrong password was accepted")
    except psycopg2.OperationalError as error:
        check("password authentication failed" in str(error), f"a wrong password: {error}")
    listed = writer.get(base + "/roles").json["roles"]
    check([r["name"] for r in listed] == ["app"] and role.json["password"] not in json.dumps(listed), "role list")
    check(writer.post(base + "/roles", {"name": "app"}).status == 409, "duplicate role: 409")
    with ThreadPoolExecutor(max_workers=6) as pool:
        racing = sorted(pool.map(lambda _: writer.post(base + "/roles", {"name": "racer"}).status, range(6)))
    check(racing == [201] + [409] * 5, f"six parallel creations of one role: one 201, five 409: {racing}")
    check(writer.call("DELETE", base + "/roles/racer").status == 204, "delete the raced role")
    for bad in ["postgres", "pg_x", "shale_x", "Bad", "1x", "a" * 64, ""]:
        check(writer.post(base + "/roles", {"name": bad}).status == 422, f"role name {bad!r}: 422")
    reset = writer.post(base + "/roles/app/reset-password")
    check(reset.status == 200 and reset.json["password"] != role.json["password"], "reset password")
    check(writer.post(base + "/roles/nope/reset-password").status == 404, "reset unknown role: 404")
    check(writer.call("DELETE", base + "/roles/app").status == 204, "role delete")
    check(writer.call("DELETE", base + "/roles/app").status == 404, "role delete twice: 404")

    step("update: plan and settings")
    patched = writer.call("PATCH", base, {"plan": "starter", "settings": {"auto_scaling": False, "description": "t"}})
    check(patched.status == 200 and patched.json["database"]["plan"] == "starter" and
          patched.json["database"]["settings"] == {"auto_scaling": False, "description": "t"}, f"patch: {patched}")
    with connect_database(database) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW shale.auto_scaling")
        check(cursor.fetchone()[0] == "off", "auto_scaling reached the router")
    check(writer.call("PATCH", base, {"settings": {"auto_scaling": "no"}}).status == 422, "bad setting: 422")
    check(writer.call("PATCH", base, {"name": "renamed"}).status == 422, "name cannot change: 422")

    step("backup, restore point, restore into a new database")
    backup = writer.post(base + "/backups", {"kind": "full"})
    check(backup.status == 202 and backup.json["operation"]["kind"] == "backup", f"backup: {backup}")
    check(writer.wait_operation(backup.json["operation"]["id"], timeout=300)["state"] == "succeeded", "backup done")
    point = writer.post(base + "/restore-points", {"name": "before-more-tenants"})
    check(point.status == 202, f"restore point: {point}")
    check(writer.wait_operation(point.json["operation"]["id"])["state"] == "succeeded", "restore point made")
    points = [p["name"] for p in writer.get(base + "/backups").json["restore_points"]]
    check("before-more-tenants" in points, f"the restore point is listed: {points}")
    with connect_database(database) as connection, connection.cursor() as cursor:
        cursor.execute("INSERT INTO tenants (id, name, plan_code) SELECT g, 'later', 'free' FROM generate_series(2000, 2009) g")
    check(writer.post(base + "/restore-points", {"name": "bad name!"}).status == 422, "bad restore point name: 422")
    check(writer.post(base + "/restore", {"name": "copy"}).status == 422, "restore without to: 422")
    check(writer.post(base + "/restore", {"name": "tenants", "to": "x"}).status == 409, "restore onto a taken name: 409")
    restored = writer.post(base + "/restore", {"name": "tenants-copy", "to": "before-more-tenants"})
    check(restored.status == 202 and restored.json["database"]["parent_id"] == database["id"], f"restore: {restored}")
    restore_operation = writer.wait_operation(restored.json["operation"]["id"], timeout=300)
    check(restore_operation["state"] == "succeeded", f"restore operation: {restore_operation}")
    copy = writer.get(f"/v1/databases/{restored.json['database']['id']}").json["database"]
    with connect_database(copy) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants")
        check(cursor.fetchone()[0] == 21, "the restored database has the rows of the restore point, not the later ones")
    deleted_copy = writer.call("DELETE", f"/v1/databases/{copy['id']}")
    check(writer.wait_operation(deleted_copy.json["operation"]["id"])["state"] == "succeeded", "delete the copy")

    step("another organization sees nothing of this one")
    other = api.post("/v1/organizations", {"name": "other corp"})
    check(other.status == 201, f"create organization: {other}")
    outsider = Api(PORT, other.json["token"]["secret"])
    for target in [base, base + "/roles", base + "/nodes", f"/v1/operations/{operation['id']}"]:
        check(outsider.get(target).status == 404, f"other organization GET {target}: 404")
    check(outsider.call("DELETE", base).status == 404, "other organization DELETE: 404")
    check(outsider.call("PATCH", base, {"plan": "growth"}).status == 404, "other organization PATCH: 404")
    check(outsider.post(base + "/roles", {"name": "spy"}).status == 404, "other organization role: 404")
    check(outsider.get("/v1/databases").json["databases"] == [], "other organization lists nothing")
    check(outsider.call("DELETE", f"/v1/tokens/{revoked_id}").status == 404, "other organization's token: 404")
    check(outsider.post("/v1/organizations", {"name": "x"}).status == 403, "only the operator creates organizations")
    check(outsider.post("/v1/databases", {"name": "tenants", "worker_groups": 1}, check=True).status == 202,
          "names are per organization")

    step("audit log")
    entries = api.get("/v1/audit-log?limit=200").json["entries"]
    actions = {entry["action"] for entry in entries}
    for action in ["organization.create", "organization.update", "token.create", "token.revoke", "database.create",
                   "database.update", "role.create", "role.reset_password", "role.delete", "database.backup",
                   "database.restore_point", "database.restore"]:
        check(action in actions, f"audit log has {action}")
    created_entry = next(e for e in entries if e["action"] == "database.create")
    check(created_entry["remote_address"] == "127.0.0.1" and created_entry["token_id"] and created_entry["at"],
          f"who, when, from where: {created_entry}")
    check(not any(e["action"] == "database.create" and e["details"].get("name") == "tenants" and
                  e["target_id"] != database["id"] for e in entries), "the other organization's entries stay there")

    step("delete, undelete, purge after the grace period")
    port = router_port(database)
    deleted = writer.call("DELETE", base)
    check(deleted.status == 202 and deleted.json["operation"]["kind"] == "delete", f"delete: {deleted}")
    check(writer.wait_operation(deleted.json["operation"]["id"])["state"] == "succeeded", "delete operation")
    after = writer.get(base).json["database"]
    check(after["state"] == "deleted" and after["purge_after"], f"soft deleted: {after}")
    check(not port_accepts(port), "the deleted database's router is stopped")
    check(writer.get("/v1/databases").json["databases"] == [], "deleted databases are not listed")
    listed = writer.get("/v1/databases?include_deleted=true").json["databases"]
    check(any(d["id"] == database["id"] and d["state"] == "deleted" for d in listed), "include_deleted lists it")
    check(writer.call("DELETE", base).status == 409, "delete twice: 409")
    check(writer.call("PATCH", base, {"plan": "growth"}).status == 409, "patch a deleted database: 409")
    back = writer.post(base + "/undelete")
    check(back.status == 202, f"undelete: {back}")
    check(writer.wait_operation(back.json["operation"]["id"])["state"] == "succeeded", "undelete operation")
    with connect_database(database) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants")
        check(cursor.fetchone()[0] == 31, "undeleted database kept its rows")
    check(writer.post(base + "/undelete").status == 409, "undelete a ready database: 409")
    deleted = writer.call("DELETE", base)
    writer.wait_operation(deleted.json["operation"]["id"])
    deadline = time.time() + GRACE_S + 30
    while time.time() < deadline and writer.get(base).status != 404:
        time.sleep(0.5)
    check(writer.get(base).status == 404, "purged after the grace period")
    check(not os.path.exists(os.path.join(WORK, "serve", "databases", database["id"])), "its files are gone")

    step("kill -9 of shale serve in the middle of two creations")
    started = []
    for name in ["crash-a", "crash-b"]:
        answer = writer.post("/v1/databases", {"name": name, "plan": "starter", "worker_groups": 1, "replicas": 1,
                                               "template": "events"})
        check(answer.status == 202, f"create {name}: {answer}")
        started.append(answer.json)
    deadline = time.time() + 30
    while time.time() < deadline:
        states = [writer.get(f"/v1/operations/{s['operation']['id']}").json["operation"] for s in started]
        if all(any(step["name"] == "create_cluster" and step["state"] == "running" for step in o["steps"])
               for o in states):
            break
        time.sleep(0.1)
    serve.kill9()
    killed_at = time.time()
    serve.start()
    print(f"    restarted {time.time() - killed_at:.1f} s after kill -9")
    for item in started:
        operation = writer.wait_operation(item["operation"]["id"], timeout=240)
        database_after = writer.get(f"/v1/databases/{item['database']['id']}").json["database"]
        check(operation["state"] in ("succeeded", "failed"), f"operation ended: {operation}")
        if operation["state"] == "succeeded":
            check(database_after["state"] == "ready" and operation["attempt"] == 2, f"resumed: {operation}")
            with connect_database(database_after) as connection, connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM events")
                check(cursor.fetchone()[0] == 2000, "the resumed creation applied its template once")
        else:
            check(database_after["state"] == "failed", f"failed cleanly: {database_after}")
            check(not os.path.exists(os.path.join(WORK, "serve", "databases", database_after["id"])),
                  "a failed creation leaves no files")
    check(api.get("/v1/organization").json["organization"]["name"] == "acme", "the restart lost nothing")
    check(Api(PORT, writer_secret).get("/v1/tokens", check=True).status == 403, "tokens survive the restart")

    step("a ready database whose cluster was stopped is started again when shale serve starts")
    # a database the resumed creations made ready (a creation may also end failed, which is allowed above)
    ready_ids = [item["database"]["id"] for item in started
                 if writer.get(f"/v1/databases/{item['database']['id']}").json["database"]["state"] == "ready"]
    check(ready_ids, f"at least one of the interrupted creations ended ready: {started}")
    stopped = ready_ids[0]
    subprocess.run([SHALE, "down", "--dir", os.path.join(WORK, "serve", "databases", stopped)], check=True,
                   capture_output=True)
    serve.stop()
    serve.start()
    starts = [o for o in api.get(f"/v1/operations?database_id={stopped}").json["operations"] if o["kind"] == "start"]
    check(len(starts) == 1, f"one start operation: {starts}")
    check(api.wait_operation(starts[0]["id"])["state"] == "succeeded", "the start operation succeeded")
    with connect_database(api.get(f"/v1/databases/{stopped}").json["database"]) as connection, \
            connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events")
        check(cursor.fetchone()[0] == 2000, "the restarted database answers with its rows")

    step("the CLI: login, db, role, token; exit codes")
    # SHALE_SERVE_DIR: shale db connect finds the superuser's password file of a database there
    env = dict(os.environ, SHALE_CREDENTIALS=os.path.join(WORK, "credentials.json"),
               SHALE_SERVE_DIR=os.path.join(WORK, "serve"))
    env.pop("SHALE_API_URL", None)
    env.pop("SHALE_TOKEN", None)

    def cli(*arguments, stdin=None):
        result = subprocess.run([SHALE, *arguments], env=env, input=stdin, capture_output=True, text=True, timeout=300)
        return result.returncode, result.stdout, result.stderr

    code, _, err = cli("db", "list")
    check(code == 2 and "shale login" in err, f"no credentials: exit 2 ({code}, {err})")
    code, _, _ = cli("login", "--api", f"http://127.0.0.1:{PORT}", "--token", "shl_wrong")
    check(code == 3, f"login with a wrong token: exit 3 ({code})")
    code, out, _ = cli("login", "--api", f"http://127.0.0.1:{PORT}", stdin=token + "\n")
    check(code == 0 and "acme" in out, f"login: {code} {out}")
    check(oct(os.stat(env["SHALE_CREDENTIALS"]).st_mode & 0o777) == "0o600", "credentials file is 0600")
    code, out, err = cli("db", "create", "from-cli", "--template", "blank", "--plan", "growth", "--workers", "1",
                         "--replicas", "0")
    check(code == 0 and out.strip().splitlines()[-1].startswith("postgres://"), f"db create: {code} {out} {err}")
    code, out, _ = cli("db", "list", "--json")
    names = [d["name"] for d in json.loads(out)["databases"]]
    check(code == 0 and "from-cli" in names, f"db list --json: {names}")
    code, out, _ = cli("db", "show", "from-cli")
    check(code == 0 and "ready" in out, f"db show: {out}")
    check(cli("db", "show", "missing")[0] == 4, "db show of an unknown database: exit 4")
    code, out, _ = cli("db", "connect", "from-cli", stdin="SELECT 40 + 2 AS answer;\n")
    check(code == 0 and "42" in out, f"db connect runs psql on the database: {code} {out}")
    check(cli("db", "create", "x", "--workers", "many")[0] == 2, "bad --workers: exit 2")
    code, _, err = cli("db", "create", "too-wide", "--plan", "starter", "--workers", "11")
    check(code == 1 and "starter plan allows 10 worker groups" in err, f"over the plan: exit 1 ({code}, {err})")
    check(cli("db", "backup", "from-cli")[0] == 0, "db backup")
    code, out, _ = cli("db", "restore-point", "from-cli")
    point_name = out.strip()
    check(code == 0 and point_name.startswith("point-"), f"db restore-point prints its name: {out}")
    code, out, err = cli("db", "restore", "from-cli", "from-cli-copy", "--to", point_name)
    check(code == 0 and out.strip().splitlines()[-1].startswith("postgres://"), f"db restore: {code} {out} {err}")
    check(cli("db", "restore", "from-cli", "x")[0] == 2, "db restore without --to: exit 2")
    check(cli("db", "delete", "from-cli-copy")[0] == 0, "delete the restored copy")
    code, out, _ = cli("role", "create", "from-cli", "reporting")
    check(code == 0 and "postgres://reporting:" in out, f"role create: {out}")
    check(cli("role", "reset", "from-cli", "reporting")[0] == 0, "role reset")
    check(cli("role", "delete", "from-cli", "reporting")[0] == 0, "role delete")
    code, out, _ = cli("token", "create", "ci", "--scope", "read", "--json")
    made = json.loads(out)
    check(code == 0 and made["token"]["scope"] == "read", f"token create: {out}")
    check(cli("token", "revoke", made["token"]["id"])[0] == 0, "token revoke")
    code, out, _ = cli("db", "delete", "from-cli")
    check(code == 0 and "deleted" in out, f"db delete: {out}")

    step("rate limit")
    limited = None
    for _ in range(3000):  # stops at the first 429; a loaded machine sends them slower
        answer = writer.get("/v1/plans")
        if answer.status == 429:
            limited = answer
            break
    check(limited is not None and int(limited.headers["retry-after"]) >= 1, f"429 with Retry-After: {limited}")

    serve.stop()
    print(f"control plane: {checks} checks passed, {api.calls + writer.calls} API calls checked against OpenAPI")


if __name__ == "__main__":
    try:
        main()
    finally:
        serve.stop()
