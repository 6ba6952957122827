"""portal_api_checks.py — checks of the portal's endpoints of the /v1 API, run by
control_plane_test.py (every answer validated against the OpenAPI file):
first admin (setup), sign-in with a password or a token, the session cookie's
flags, CSRF on cookie writes, sign out, members and roles enforced as scopes;
and a database's tables (distribute, make reference, SQL errors as 422) and metrics."""

def session_cookie(answer):
    """The shale_session value of a Set-Cookie header, and the header itself."""
    header = answer.headers.get("set-cookie", "")
    value = header.split(";")[0].split("=", 1)[1] if header.startswith("shale_session=") else ""
    return value, header


def check_sign_in(api, check):
    setup = api.get("/v1/setup", token=None)
    check(setup.status == 200 and setup.json == {"admin_exists": False, "signed_in": False}, f"setup before: {setup}")
    weak = api.post("/v1/setup", {"email": "ada@example.com", "password": "short"}, token=None)
    check(weak.status == 422 and weak.json["field"] == "password", f"short password: {weak}")
    bad_email = api.post("/v1/setup", {"email": "ada", "password": "0123456789ab"}, token=None)
    check(bad_email.status == 422 and bad_email.json["field"] == "email", f"bad e-mail: {bad_email}")
    first = api.post("/v1/setup", {"email": "Ada@Example.com", "password": "correct horse battery", "name": "Ada"}, token=None)
    check(first.status == 201 and first.json["session"]["member"]["role"] == "admin" and
          first.json["session"]["member"]["email"] == "ada@example.com", f"first admin: {first}")
    secret, header = session_cookie(first)
    check(secret and "HttpOnly" in header and "SameSite=Strict" in header and "Secure" not in header,
          f"cookie flags over plain HTTP: {header}")
    secure = api.post("/v1/sessions", {"email": "ada@example.com", "password": "correct horse battery"}, token=None,
                      headers={"X-Forwarded-Proto": "https"})
    check("; Secure" in session_cookie(secure)[1], f"Secure behind an HTTPS proxy: {secure.headers}")
    check(api.post("/v1/setup", {"email": "eve@example.com", "password": "0123456789ab"}, token=None).status == 409,
          "setup is closed once a user exists")
    cookie = {"Cookie": f"shale_session={secret}"}
    check(api.get("/v1/setup", token=None, headers=cookie).json["signed_in"] is True, "setup sees the session")
    mine = api.get("/v1/session", token=None, headers=cookie)
    check(mine.status == 200 and mine.json["csrf_token"] == first.json["csrf_token"] and mine.json["session"]["scope"] == "admin",
          f"GET /v1/session: {mine}")
    check(api.get("/v1/databases", token=None, headers=cookie).status == 200, "a cookie reads")
    no_csrf = api.post("/v1/members", {"email": "bob@example.com", "password": "0123456789ab", "role": "read-only"},
                       token=None, headers=cookie)
    check(no_csrf.status == 403 and no_csrf.json["code"] == "csrf_failed", f"a cookie write without CSRF: {no_csrf}")
    with_csrf = dict(cookie, **{"X-CSRF-Token": first.json["csrf_token"]})
    bob = api.post("/v1/members", {"email": "bob@example.com", "password": "0123456789ab", "role": "read-only"},
                   token=None, headers=with_csrf)
    check(bob.status == 201 and bob.json["member"]["role"] == "read-only", f"add a read-only member: {bob}")
    check(api.post("/v1/members", {"email": "BOB@example.com", "password": "0123456789ab", "role": "developer"},
                   token=None, headers=with_csrf).status == 409, "e-mail taken")
    wrong = api.post("/v1/sessions", {"email": "bob@example.com", "password": "wrong password"}, token=None)
    check(wrong.status == 401 and wrong.json["code"] == "invalid_credentials" and "wrong" in wrong.json["message"],
          f"wrong password: {wrong}")
    unknown = api.post("/v1/sessions", {"email": "nobody@example.com", "password": "wrong password"}, token=None)
    check(unknown.status == 401 and unknown.json["message"] == wrong.json["message"], "an unknown user looks the same")
    signed = api.post("/v1/sessions", {"email": "bob@example.com", "password": "0123456789ab"}, token=None)
    check(signed.status == 201 and signed.json["session"]["scope"] == "read", f"bob signs in: {signed}")
    bob_headers = {"Cookie": f"shale_session={session_cookie(signed)[0]}", "X-CSRF-Token": signed.json["csrf_token"]}
    refused = api.post("/v1/databases", {"name": "nope"}, token=None, headers=bob_headers)
    check(refused.status == 403 and "read-only" in refused.json["message"], f"read-only cannot create: {refused}")
    promoted = api.call("PATCH", f"/v1/members/{bob.json['member']['id']}", {"role": "developer"}, token=None, headers=with_csrf)
    check(promoted.status == 200 and promoted.json["member"]["role"] == "developer", f"role change: {promoted}")
    check(api.get("/v1/session", token=None, headers=bob_headers).json["session"]["scope"] == "write",
          "a role change applies to the open session")
    admin_id = first.json["session"]["member"]["id"]
    last = api.call("DELETE", f"/v1/members/{admin_id}", token=None, headers=with_csrf)
    check(last.status == 409 and last.json["code"] == "last_admin", f"the only admin stays: {last}")
    token_session = api.post("/v1/sessions", {"token": api.token}, token=None)
    check(token_session.status == 201 and token_session.json["session"]["member"] is None and
          token_session.json["session"]["token_id"], f"sign in with an API token: {token_session}")
    check(api.post("/v1/sessions", {"token": "shl_" + "0" * 64}, token=None).status == 401, "a wrong token")
    check(api.get("/v1/session").status == 404, "GET /v1/session with a bearer token: no session")
    members = api.get("/v1/members").json["members"]
    check([m["email"] for m in members] == ["ada@example.com", "bob@example.com"], f"members: {members}")
    out = api.call("DELETE", "/v1/session", token=None, headers=bob_headers)
    check(out.status == 204 and "Max-Age=0" in out.headers.get("set-cookie", ""), f"sign out: {out}")
    check(api.get("/v1/databases", token=None, headers=bob_headers).status == 401, "the ended session is refused")
    removed = api.call("DELETE", f"/v1/members/{bob.json['member']['id']}", token=None, headers=with_csrf)
    check(removed.status == 200, f"remove bob: {removed}")
    entries = api.get("/v1/audit-log?limit=50").json["entries"]
    check(any(e["action"] == "member.create" and e["user_id"] == admin_id for e in entries),
          "the audit log names the member who acted")


def check_tables(api, check, database, connect_database):
    base = f"/v1/databases/{database['id']}"
    with connect_database(database) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE portal_items (id bigint PRIMARY KEY, kind text); "
                       "INSERT INTO portal_items SELECT g, 'k' || g FROM generate_series(1, 30) g; "
                       "CREATE TABLE portal_kinds (kind text PRIMARY KEY)")
    tables = {t["table_name"]: t for t in api.get(base + "/tables").json["tables"]}
    check(tables["portal_items"]["kind"] == "local" and tables["portal_items"]["row_count"] == 30 and
          tables["portal_items"]["columns"] == ["id", "kind"], f"tables: {tables.get('portal_items')}")
    check(tables["tenants"]["kind"] == "distributed" and tables["tenants"]["shard_count"] == 8, "template tables")
    wrong = api.post(base + "/tables/portal_items/distribute", {"column": "nope"})
    check(wrong.status == 422 and "nope" in wrong.json["message"], f"unknown column: {wrong}")
    done = api.post(base + "/tables/portal_items/distribute", {"column": "id", "shard_count": 4})
    check(done.status == 200 and done.json["table"]["kind"] == "distributed" and done.json["table"]["shard_count"] == 4,
          f"distribute: {done}")
    counted = {t["table_name"]: t for t in api.get(base + "/tables").json["tables"]}["portal_items"]
    check(counted["row_count"] == 30 and counted["distribution_column"] == "id", f"after distribute: {counted}")
    twice = api.post(base + "/tables/portal_items/distribute", {"column": "id"})
    check(twice.status == 422 and "already distributed" in twice.json["message"], f"twice: {twice}")
    check(api.post(base + "/tables/no_such_table/distribute", {"column": "id"}).status == 404, "unknown table: 404")
    reference = api.post(base + "/tables/portal_kinds/make-reference")
    check(reference.status == 200 and reference.json["table"]["kind"] == "reference", f"make reference: {reference}")
    metrics = api.get(base + "/metrics").json["metrics"]
    check(metrics["transactions_total"] > 0 and metrics["max_connections"] > 0, f"metrics: {metrics}")
