"""Tests against a real Shale cluster (see conftest.py). Tables are prefixed py_
so that the SDKs can share one cluster."""
import socket
import threading
import time

import pytest
from psycopg.conninfo import conninfo_to_dict

import shale
from shale import CommitUnknownError, RetriesExhaustedError, RetryPolicy, ShaleError, TenantScopeError


@pytest.fixture(scope="module")
def tables(db):
    db.execute("DROP TABLE IF EXISTS py_projects, py_plans, py_counters, py_slow_commit")
    db.execute("CREATE TABLE py_projects (org_id bigint NOT NULL, id bigint NOT NULL, name text, PRIMARY KEY (org_id, id))")
    db.execute("CREATE TABLE py_plans (code text PRIMARY KEY, max_projects int)")
    db.distribute_table("py_projects", "org_id", shard_count=8)
    db.make_reference_table("py_plans")
    db.execute("INSERT INTO py_plans VALUES ('free', 3)")


def test_helpers_register_tables(db, tables):
    rows = db.query(
        "SELECT table_name::text AS t, kind FROM shale.tables WHERE table_name::text IN ('py_projects', 'py_plans') ORDER BY 1"
    )
    assert rows == [{"t": "py_plans", "kind": "reference"}, {"t": "py_projects", "kind": "distributed"}]
    with pytest.raises(ShaleError):
        db.distribute_table("py_projects", "org_id")


def test_tenant_handle_stays_on_its_shard(db, tables):
    acme, globex = db.tenant(1), db.tenant(2)
    acme.insert("py_projects", {"id": 1, "name": "first"})
    globex.insert("py_projects", {"id": 1, "name": "first"})
    assert acme.query("SELECT name FROM py_projects WHERE org_id = %s AND id = %s", [1, 1]) == [{"name": "first"}]
    joined = acme.query(
        "SELECT p.max_projects FROM py_projects j JOIN py_plans p ON p.code = 'free' WHERE j.org_id = %s AND j.id = %s", [1, 1]
    )
    assert joined == [{"max_projects": 3}]
    assert acme.execute("UPDATE py_projects SET name = 'renamed' WHERE org_id = %s AND id = %s", [1, 1]) == 1
    rows, report = acme.transaction_with_report(lambda tx: tx.query("SELECT name FROM py_projects WHERE org_id = %s AND id = 1", [1]))
    assert rows == [{"name": "renamed"}] and report.attempts == 1

    # another tenant on the same shard as tenant 1 passes the shard check; the pin proof stops it
    neighbour = db.query(
        """SELECT min(k) AS k FROM generate_series(2, 1000) k
            WHERE shale.shard_for('py_projects', k) = shale.shard_for('py_projects', 1)"""
    )[0]["k"]
    for sql, params, reason in [
        ("SELECT name FROM py_projects WHERE org_id = %s", [neighbour], "pass the tenant (1) as a parameter"),
        ("SELECT name FROM py_projects WHERE org_id = 1", [], "pass the tenant (1) as a parameter"),
        ("SELECT name FROM py_projects WHERE org_id = %s AND id IN (SELECT id FROM py_projects WHERE org_id = %s)",
         [1, neighbour], "do not all follow the tenant's parameter"),
    ]:
        with pytest.raises(TenantScopeError) as refused:
            acme.query(sql, params)
        assert reason in refused.value.reason, sql

    refusals = {
        "SELECT name FROM py_projects WHERE org_id = 2": "does not hold tenant 1",
        "SELECT count(*) FROM py_projects": "not on the tenant's shard alone",
        "UPDATE py_projects SET name = 'x'": "not on the tenant's shard alone",
        "INSERT INTO py_projects VALUES (1, 9, 'raw')": "insert(table, row)",
        "UPDATE py_plans SET max_projects = 9": "reference table",
        "CREATE TABLE py_nope (x int)": "only SELECT, UPDATE and DELETE",
        "SELECT now()": "no distributed or reference table",
    }
    for sql, reason in refusals.items():
        with pytest.raises(TenantScopeError) as refused:
            acme.execute(sql)
        assert reason in refused.value.reason, sql
    with pytest.raises(TenantScopeError, match="not the tenant 1"):
        acme.insert("py_projects", {"org_id": 2, "id": 5})
    assert db.query("SELECT count(*) AS n FROM py_projects WHERE name = 'x' OR id IN (5, 9)") == [{"n": 0}]

    def two_tenants(tx):
        tx.insert("py_projects", {"id": 2, "name": "second"})
        tx.execute("DELETE FROM py_projects WHERE org_id = 2")

    with pytest.raises(TenantScopeError):
        acme.transaction(two_tenants)
    assert db.query("SELECT count(*) AS n FROM py_projects WHERE org_id = 1 AND id = 2") == [{"n": 0}]


def test_shale_refusal_is_typed(db, tables):
    with pytest.raises(ShaleError) as refused:
        db.query("SELECT ctid FROM py_projects")
    assert (refused.value.kind, refused.value.sqlstate) == ("feature_not_supported", "0A000")
    assert refused.value.hint


def db_uri(db) -> str:
    return db.pool.conninfo


def test_serialization_failure_is_retried(db):
    db.execute("DROP TABLE IF EXISTS py_counters")
    db.execute("CREATE TABLE py_counters (id bigint PRIMARY KEY, n int)")
    db.distribute_table("py_counters", "id")
    db.execute("INSERT INTO py_counters VALUES (7, 0)")
    calls = []

    def bump(tx):
        calls.append(1)
        tx.query("SELECT n FROM py_counters WHERE id = 7")
        if len(calls) == 1:  # another session changes the row after this snapshot
            db.execute("UPDATE py_counters SET n = n + 100 WHERE id = 7")
        tx.execute("UPDATE py_counters SET n = n + 1 WHERE id = 7")

    # One connection, warmed by a read: on a Shale node, BEGIN ISOLATION LEVEL REPEATABLE READ
    # as the first statement of a session failed (25001) before ad249e0, on the router and on its new
    # worker connections alike (docs/sdks.md, "Known problems").
    one = shale.connect(db_uri(db), max_size=1)
    one.query("SELECT n FROM py_counters WHERE id = 7")
    _, report = one.transaction_with_report(bump, isolation="repeatable read", retry=RetryPolicy(base_delay=0.01))
    one.close()
    assert report.attempts == 2 and len(calls) == 2
    assert report.last_error.kind == "serialization"
    assert db.query("SELECT n FROM py_counters WHERE id = 7") == [{"n": 101}]


def test_retries_are_bounded(db):
    calls = []

    def always_fails(tx):
        calls.append(1)
        tx.execute("DO $$BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END$$")

    with pytest.raises(RetriesExhaustedError) as exhausted:
        db.transaction(always_fails, retry=RetryPolicy(max_attempts=3, base_delay=0.001))
    assert exhausted.value.attempts == 3 and len(calls) == 3
    assert exhausted.value.last_error.sqlstate == "40001"


def test_error_that_is_not_retryable_comes_back_at_once(db):
    calls = []

    def divide(tx):
        calls.append(1)
        tx.query("SELECT 1/0")

    with pytest.raises(ShaleError) as failed:
        db.transaction(divide)
    assert failed.value.sqlstate == "22012" and len(calls) == 1


def slow_commit(db, calls):
    """COMMIT of a row with attempt = 1 sleeps 2 s (a deferred trigger); the
    session is terminated from another connection meanwhile."""

    def fn(tx):
        calls.append(1)
        pid = tx.query("INSERT INTO py_slow_commit VALUES (%s) RETURNING pg_backend_pid() AS pid", [len(calls)])[0]["pid"]
        if len(calls) == 1:
            threading.Timer(0.5, lambda: db.query("SELECT pg_terminate_backend(%s)", [pid])).start()

    return fn


def test_connection_lost_during_commit(db):
    db.execute("DROP TABLE IF EXISTS py_slow_commit")
    db.execute("CREATE TABLE py_slow_commit (attempt int)")
    db.execute(
        """CREATE OR REPLACE FUNCTION py_sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS
           $$BEGIN IF NEW.attempt = 1 THEN PERFORM pg_sleep(2); END IF; RETURN NULL; END$$"""
    )
    db.execute(
        """CREATE CONSTRAINT TRIGGER py_slow AFTER INSERT ON py_slow_commit
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION py_sleep_at_commit()"""
    )
    calls = []
    with pytest.raises(CommitUnknownError) as unknown:
        db.transaction(slow_commit(db, calls))
    assert unknown.value.attempts == 1 and len(calls) == 1

    db.execute("TRUNCATE py_slow_commit")
    again = []
    _, report = db.transaction_with_report(slow_commit(db, again), idempotent=True)
    assert len(again) == 2 and report.attempts == 2 and report.last_error.kind == "connection"
    assert db.query("SELECT count(*) AS n FROM py_slow_commit") == [{"n": 1}]


def test_unknown_database_fails_at_once(db):
    port = db.query("SELECT inet_server_port() AS port")[0]["port"]
    started = time.monotonic()
    with pytest.raises(ShaleError) as failed:
        shale.connect(f"postgres://postgres@127.0.0.1:{port}/no_such_database")
    assert failed.value.sqlstate == "08001" and 'database "no_such_database" does not exist' in failed.value.message
    assert time.monotonic() - started < 3


def test_connect_fails_clearly(uri):
    started = time.monotonic()
    with pytest.raises(ShaleError) as failed:
        shale.connect("postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2")
    assert failed.value.kind == "connection" and "127.0.0.1" in failed.value.message
    assert time.monotonic() - started < 5


def test_multi_host_finds_the_read_write_router(db):
    ports = {row["role"]: row["port"] for row in db.query("SELECT role, port FROM shale.nodes WHERE group_id = 0")}
    with socket.socket() as probe:  # a port where nothing listens: bound, then closed
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    info = db.pool.conninfo
    user = conninfo_to_dict(info).get("user", "postgres")
    dbname = conninfo_to_dict(info).get("dbname", "postgres")
    uri = (f"postgres://{user}@127.0.0.1:{dead},127.0.0.1:{ports['replica']},127.0.0.1:{ports['primary']}/{dbname}"
           "?target_session_attrs=read-write&connect_timeout=2")
    with shale.connect(uri) as other:
        assert other.query("SELECT inet_server_port() AS port") == [{"port": ports["primary"]}]
