// management-api.test.mjs — the management client against a real `shale serve`:
// SHALE_TEST_API_URL and SHALE_TEST_TOKEN (test/e2e/sdk_management.sh starts
// one and sets them); without them the tests are skipped. One database is made,
// branched, deployed to, given roles and a restore point, and deleted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Database, ShaleError, management } from "@shale-db/sdk";

const { Client, ApiError, OperationFailedError, OperationTimeoutError } = management;
const url = process.env.SHALE_TEST_API_URL;
const token = process.env.SHALE_TEST_TOKEN;
const skip = !url || !token ? "SHALE_TEST_API_URL / SHALE_TEST_TOKEN are not set" : false;
const api = skip ? null : new Client({ apiUrl: url, token });
const name = "node-" + randomBytes(4).toString("hex");
let database;

const rejectsWith = (promise, status, code) =>
  assert.rejects(promise, (error) => error instanceof ApiError && error.status === status && (!code || error.code === code));

before(async () => {
  if (skip) return;
  const answer = await api.createDatabase(name, { plan: "growth", workerGroups: 1, replicas: 0 });
  assert.equal(answer.database.state, "creating");
  const operation = await api.waitOperation(answer, { timeoutMs: 180000 });
  assert.equal(operation.progress, 100);
  database = await api.getDatabase(answer.database.id);
});

after(async () => {
  if (skip || !database) return;
  await api.waitOperation(await api.deleteDatabase(database.id), { timeoutMs: 120000 });
  assert.equal((await api.getDatabase(database.id)).state, "deleted");
});

test("get, list, update", { skip }, async () => {
  assert.equal(database.state, "ready");
  assert.ok((await api.listDatabases()).some((d) => d.id === database.id));
  const changed = await api.updateDatabase(database.id, { settings: { description: "node sdk test" } });
  assert.equal(changed.settings.description, "node sdk test");
});

test("connect by name: creates the role, then needs its password or a reset", { skip }, async () => {
  let db = await management.connect(name, { apiUrl: url, token, role: "node_app" });
  assert.equal((await db.query("SELECT current_user AS u")).rows[0].u, "node_app");
  await db.end();
  await rejectsWith(management.connect(name, { client: api, role: "node_app" }), 409, "role_exists");
  const info = await management.connectionUri(api, database.id, { role: "node_app", reset: true });
  db = await management.connect(name, { client: api, role: "node_app", password: info.password });
  await db.end();
  await rejectsWith(management.connect("no-such-database", { client: api }), 404, "not_found");
});

test("roles: create, reset, delete", { skip }, async () => {
  const created = await api.createRole(database.id, "node_role");
  const reset = await api.resetRolePassword(database.id, "node_role");
  assert.notEqual(reset.password, created.password);
  await assert.rejects(Database.connect(created.connection_uri), ShaleError);
  await (await Database.connect(reset.connection_uri)).end();
  await api.deleteRole(database.id, "node_role");
  assert.ok(!(await api.listRoles(database.id)).some((r) => r.name === "node_role"));
  await rejectsWith(api.deleteRole(database.id, "node_role"), 404);
});

test("branch and deploy request, deployed then reverted", { skip }, async () => {
  const dev = name + "-dev";
  const branch = await api.createBranch(database.id, dev);
  await api.waitOperation(branch, { timeoutMs: 180000 });
  assert.equal((await api.getBranch(database.id, dev)).parent_id, database.id);
  assert.deepEqual((await api.listBranches(database.id)).map((b) => b.name), [dev]);
  const db = await management.connect(dev, { client: api, role: "node_dev" });
  await db.query("CREATE TABLE node_notes (id bigint PRIMARY KEY, body text)");
  await db.end();
  const { deploy_request: request, operation } = await api.createDeployRequest(database.id, dev);
  assert.equal(operation, null);
  assert.match(request.ddl ?? "", /node_notes/);
  assert.deepEqual((await api.listDeployRequests(database.id)).map((r) => r.id), [request.id]);
  await api.waitOperation(await api.deploy(database.id, request.number), { timeoutMs: 120000 });
  assert.equal((await api.getDeployRequest(database.id, request.id)).state, "deployed");
  await api.waitOperation(await api.revert(database.id, request.id), { timeoutMs: 120000 });
  assert.equal((await api.getDeployRequest(database.id, request.id)).state, "reverted");
  await api.waitOperation(await api.deleteBranch(database.id, dev), { timeoutMs: 120000 });
});

test("restore point, operations, a failed and a timed-out wait", { skip }, async () => {
  await api.waitOperation(await api.createRestorePoint(database.id, "node-point"), { timeoutMs: 120000 });
  const backups = await api.listBackups(database.id);
  assert.ok(Array.isArray(backups.backups) && Array.isArray(backups.restore_points));
  const kinds = (await api.listOperations({ databaseId: database.id, limit: 50 })).map((o) => o.kind);
  assert.ok(kinds.includes("create") && kinds.includes("restore_point"), kinds.join());
  const restore = await api.restore(database.id, name + "-restored", "node-no-such-point", { replicas: 0 });
  await assert.rejects(api.waitOperation(restore, { timeoutMs: 0 }), OperationTimeoutError);
  await assert.rejects(api.waitOperation(restore, { timeoutMs: 120000 }),
    (error) => error instanceof OperationFailedError && error.operation.kind === "restore" && !!error.operation.error);
});

test("insights, CA certificate, typed errors", { skip }, async () => {
  assert.equal(typeof (await api.getInsights(database.id, { window: "15m", limit: 5 })), "object");
  assert.match((await api.getCaCertificate()).ca_certificate, /^-----BEGIN CERTIFICATE-----/);
  await rejectsWith(api.getDatabase("db_0000000000000000"), 404, "not_found");
  await assert.rejects(api.createDatabase("Bad Name!"), (e) => e instanceof ApiError && e.status === 422 && e.field === "name");
  await rejectsWith(new Client({ apiUrl: url, token: "shl_" + "0".repeat(64) }).listDatabases(), 401, "unauthorized");
});
