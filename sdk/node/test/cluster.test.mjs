// cluster.test.mjs — tests against a real Shale cluster. The URI comes from
// SHALE_TEST_URI (test/e2e/sdks.sh starts a cluster and sets it); without it the
// tests are skipped. Tables are prefixed node_ so the SDKs can share a cluster.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import {
  Database, ShaleError, TenantScopeError, CommitUnknownError, RetriesExhaustedError, parseUri,
} from "../dist/esm/index.mjs";

const uri = process.env.SHALE_TEST_URI;
const skip = uri ? false : "SHALE_TEST_URI is not set";
let db;

before(async () => {
  if (skip) return;
  db = await Database.connect(uri, { max: 4 });
  await db.query("DROP TABLE IF EXISTS node_projects, node_plans, node_counters, node_slow_commit");
  await db.query("CREATE TABLE node_projects (org_id bigint NOT NULL, id bigint NOT NULL, name text, PRIMARY KEY (org_id, id))");
  await db.query("CREATE TABLE node_plans (code text PRIMARY KEY, max_projects int)");
  await db.distributeTable("node_projects", "org_id", { shardCount: 8 });
  await db.makeReferenceTable("node_plans");
  await db.query("INSERT INTO node_plans VALUES ('free', 3)");
});
after(async () => db?.end());

/** A URI with the given host:port entries and the cluster's user and database. */
function uriWithHosts(hostPorts) {
  const s = parseUri(uri);
  return `postgres://${s.user}@${hostPorts.join(",")}/${s.database}?target_session_attrs=read-write&connect_timeout=2`;
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function deadPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function primaryAndReplicaPorts() {
  const rows = (await db.query("SELECT port, role FROM shale.nodes WHERE group_id = 0 ORDER BY role")).rows;
  return { primary: rows.find((r) => r.role === "primary").port, replica: rows.find((r) => r.role === "replica").port };
}

test("helpers register distributed and reference tables", { skip }, async () => {
  const { rows } = await db.query(
    "SELECT table_name::text AS t, kind FROM shale.tables WHERE table_name::text IN ('node_projects', 'node_plans') ORDER BY 1");
  assert.deepEqual(rows, [{ t: "node_plans", kind: "reference" }, { t: "node_projects", kind: "distributed" }]);
  await assert.rejects(db.distributeTable("node_projects", "org_id"), ShaleError);
});

test("multi-host: the first host is down", { skip }, async () => {
  const { primary, replica } = await primaryAndReplicaPorts();
  const other = await Database.connect(uriWithHosts([`127.0.0.1:${await deadPort()}`, `127.0.0.1:${replica}`, `127.0.0.1:${primary}`]));
  try {
    const { rows } = await other.query("SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby");
    assert.deepEqual(rows[0], { port: primary, standby: false });
  } finally {
    await other.end();
  }
});

test("multi-host: the first host is read-only (a replica)", { skip }, async () => {
  const { primary, replica } = await primaryAndReplicaPorts();
  const other = await Database.connect(uriWithHosts([`127.0.0.1:${replica}`, `127.0.0.1:${primary}`]));
  try {
    const { rows } = await other.query("SELECT inet_server_port() AS port");
    assert.equal(rows[0].port, primary);
    await other.query("INSERT INTO node_plans VALUES ('multi-host', 1)");
  } finally {
    await other.end();
  }
});

test("multi-host: no read-write host gives one clear error naming each host", { skip }, async () => {
  const { replica } = await primaryAndReplicaPorts();
  const dead = await deadPort();
  await assert.rejects(
    Database.connect(uriWithHosts([`127.0.0.1:${dead}`, `127.0.0.1:${replica}`]), { connectRetryMs: 500 }),
    (error) => error instanceof ShaleError && error.sqlstate === "08001" &&
      error.message.includes(`127.0.0.1:${dead}`) && error.message.includes(`127.0.0.1:${replica} is read-only`),
  );
});

test("an unknown database fails at once with its SQLSTATE", { skip }, async () => {
  const { primary } = await primaryAndReplicaPorts();
  const started = Date.now();
  await assert.rejects(Database.connect(`postgres://${parseUri(uri).user}@127.0.0.1:${primary}/no_such_database`),
    (e) => e instanceof ShaleError && e.sqlstate === "3D000" && /no_such_database/.test(e.message));
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
});

test("a pooled connection that turned read-only is dropped and the transaction runs again", { skip }, async () => {
  const one = await Database.connect(uri, { max: 1 });
  try {
    await one.query("SET SESSION default_transaction_read_only = on"); // the only pooled session is read-only now
    const { report } = await one.transactionWithReport((tx) => tx.query("INSERT INTO node_plans VALUES ('after read-only', 1)"),
      { retry: { baseDelayMs: 10 } });
    assert.equal(report.attempts, 2);
    assert.equal(report.lastError.sqlstate, "25006");
  } finally {
    await one.end();
  }
});

test("tenant handle: its own shard only", { skip }, async () => {
  const acme = db.tenant(1);
  const globex = db.tenant(2);
  await acme.insert("node_projects", { id: 1, name: "first" });
  await globex.insert("node_projects", { id: 1, name: "first" });
  assert.equal((await acme.query("SELECT name FROM node_projects WHERE org_id = $1 AND id = $2", [1, 1])).rows[0].name, "first");
  const joined = await acme.query(
    "SELECT p.max_projects FROM node_projects j JOIN node_plans p ON p.code = 'free' WHERE j.org_id = $1 AND j.id = $2", [1, 1]);
  assert.equal(joined.rows[0].max_projects, 3);
  await acme.query("UPDATE node_projects SET name = 'renamed' WHERE org_id = $1 AND id = $2", [1, 1]);
  const { value, report } = await acme.transactionWithReport((tx) => tx.query("SELECT name FROM node_projects WHERE org_id = $1 AND id = 1", [1]));
  assert.equal(value.rows[0].name, "renamed");
  assert.equal(report.attempts, 1);

  // another tenant on the same shard as tenant 1 passes the shard check; the pin proof stops it
  const neighbour = Number((await db.query(`SELECT min(k)::int AS k FROM generate_series(2, 1000) k
    WHERE shale.shard_for('node_projects', k) = shale.shard_for('node_projects', 1)`)).rows[0].k);
  for (const [sql, params, reason] of [
    ["SELECT name FROM node_projects WHERE org_id = $1", [neighbour], "pass the tenant (1) as a parameter"],
    ["SELECT name FROM node_projects WHERE org_id = 1", [], "pass the tenant (1) as a parameter"],
    ["SELECT name FROM node_projects WHERE org_id = $1 AND id IN (SELECT id FROM node_projects WHERE org_id = $2)", [1, neighbour],
      "do not all follow the tenant's parameter"],
  ]) {
    await assert.rejects(acme.query(sql, params), (e) => e instanceof TenantScopeError && e.reason.includes(reason), sql);
  }

  const refusals = {
    "SELECT name FROM node_projects WHERE org_id = 2": "does not hold tenant 1",
    "SELECT count(*) FROM node_projects": "not on the tenant's shard alone",
    "UPDATE node_projects SET name = 'x'": "not on the tenant's shard alone",
    "INSERT INTO node_projects VALUES (1, 9, 'raw')": "insert(table, row)",
    "UPDATE node_plans SET max_projects = 9": "reference table",
    "CREATE TABLE node_nope (x int)": "only SELECT, UPDATE and DELETE",
    "SELECT now()": "no distributed or reference table",
  };
  for (const [sql, reason] of Object.entries(refusals)) {
    await assert.rejects(acme.query(sql), (e) => e instanceof TenantScopeError && e.reason.includes(reason), sql);
  }
  await assert.rejects(acme.insert("node_projects", { org_id: 2, id: 5 }), (e) => e instanceof TenantScopeError && /not the tenant 1/.test(e.reason));
  const leaked = await db.query("SELECT count(*)::int AS n FROM node_projects WHERE name = 'x' OR id IN (5, 9)");
  assert.equal(leaked.rows[0].n, 0);

  await assert.rejects(acme.transaction(async (tx) => {
    await tx.insert("node_projects", { id: 2, name: "second" });
    await tx.query("DELETE FROM node_projects WHERE org_id = 2");
  }), TenantScopeError);
  assert.equal((await db.query("SELECT count(*)::int AS n FROM node_projects WHERE org_id = 1 AND id = 2")).rows[0].n, 0);
});

test("a Shale refusal is a typed error with SQLSTATE and hint", { skip }, async () => {
  await assert.rejects(db.query("SELECT ctid FROM node_projects"),
    (e) => e instanceof ShaleError && e.kind === "feature_not_supported" && e.sqlstate === "0A000" && e.hint.length > 0);
});

test("a real serialization failure (40001) is retried", { skip }, async () => {
  await db.query("CREATE TABLE node_counters (id bigint PRIMARY KEY, n int)");
  await db.distributeTable("node_counters", "id");
  await db.query("INSERT INTO node_counters VALUES (7, 0)");
  // One connection, warmed by a read: on a Shale node, BEGIN ISOLATION LEVEL REPEATABLE READ
  // as the first statement of a session failed (25001) before ad249e0, on the router and on its new
  // worker connections alike (docs/sdks.md, "Known problems").
  const one = await Database.connect(uri, { max: 1 });
  await one.query("SELECT n FROM node_counters WHERE id = 7");
  let calls = 0;
  const { report } = await one.transactionWithReport(async (tx) => {
    calls++;
    await tx.query("SELECT n FROM node_counters WHERE id = 7");
    if (calls === 1) await db.query("UPDATE node_counters SET n = n + 100 WHERE id = 7");
    await tx.query("UPDATE node_counters SET n = n + 1 WHERE id = 7");
  }, { isolation: "repeatable read", retry: { baseDelayMs: 10 } });
  await one.end();
  assert.equal(report.attempts, 2);
  assert.equal(report.lastError.kind, "serialization");
  assert.equal((await db.query("SELECT n FROM node_counters WHERE id = 7")).rows[0].n, 101);
});

test("retries are bounded and keep the last error", { skip }, async () => {
  let calls = 0;
  await assert.rejects(db.transaction(async (tx) => {
    calls++;
    await tx.query("DO $$BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END$$");
  }, { retry: { maxAttempts: 3, baseDelayMs: 1 } }),
  (e) => e instanceof RetriesExhaustedError && e.attempts === 3 && e.lastError.sqlstate === "40001");
  assert.equal(calls, 3);
});

test("an error that is not retryable comes back at once", { skip }, async () => {
  let calls = 0;
  await assert.rejects(db.transaction(async (tx) => { calls++; await tx.query("SELECT 1/0"); }),
    (e) => e instanceof ShaleError && e.sqlstate === "22012");
  assert.equal(calls, 1);
});

// COMMIT of a row with attempt = 1 sleeps 2 s (a deferred constraint trigger);
// the session is terminated from another connection meanwhile.
async function slowCommit(calls) {
  return async (tx) => {
    calls.n++;
    const { rows } = await tx.query("INSERT INTO node_slow_commit VALUES ($1) RETURNING pg_backend_pid() AS pid", [calls.n]);
    if (calls.n === 1) setTimeout(() => db.query("SELECT pg_terminate_backend($1)", [rows[0].pid]).catch(() => {}), 500);
  };
}

test("a connection lost during COMMIT is not retried, unless the function is idempotent", { skip }, async () => {
  await db.query("CREATE TABLE node_slow_commit (attempt int)");
  await db.query(`CREATE OR REPLACE FUNCTION node_sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN IF NEW.attempt = 1 THEN PERFORM pg_sleep(2); END IF; RETURN NULL; END$$`);
  await db.query(`CREATE CONSTRAINT TRIGGER node_slow AFTER INSERT ON node_slow_commit
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION node_sleep_at_commit()`);
  const calls = { n: 0 };
  await assert.rejects(db.transaction(await slowCommit(calls)), (e) => e instanceof CommitUnknownError && e.attempts === 1);
  assert.equal(calls.n, 1);

  await db.query("TRUNCATE node_slow_commit");
  const again = { n: 0 };
  const { report } = await db.transactionWithReport(await slowCommit(again), { idempotent: true });
  assert.equal(again.n, 2);
  assert.equal(report.attempts, 2);
  assert.equal(report.lastError.kind, "connection");
  assert.equal((await db.query("SELECT count(*)::int AS n FROM node_slow_commit")).rows[0].n, 1);
});
