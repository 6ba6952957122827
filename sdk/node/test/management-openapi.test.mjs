// management-openapi.test.mjs — the management client against
// docs/control-plane-openapi.json, no server: every row of ENDPOINTS (the only
// requests the client sends) must be an operation of the file with the same
// path, query and header parameters and request body fields; every method of
// the Client is one row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { management } from "@shale-db/sdk";

const { ENDPOINTS, Client, ApiError, withPassword } = management;
const file = process.env.SHALE_OPENAPI ?? fileURLToPath(new URL("../../../docs/control-plane-openapi.json", import.meta.url));
const openapi = JSON.parse(readFileSync(file, "utf8"));
const sorted = (list) => [...(list ?? [])].sort();

for (const [name, row] of Object.entries(ENDPOINTS)) {
  test(`${name}: ${row.method} ${row.path} is in the OpenAPI file with the same parameters`, () => {
    const item = openapi.paths[row.path];
    assert.ok(item, `${row.path} is not a path of the OpenAPI file`);
    const operation = item[row.method.toLowerCase()];
    assert.ok(operation, `${row.method} ${row.path} is not in the OpenAPI file`);
    const byPlace = {};
    for (const p of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) (byPlace[p.in] ??= []).push(p.name);
    assert.deepEqual(sorted([...row.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])), sorted(byPlace.path), "path parameters");
    assert.deepEqual(sorted(row.query), sorted(byPlace.query), "query parameters");
    assert.deepEqual(row.method === "POST" ? ["Idempotency-Key"] : [], sorted(byPlace.header), "header parameters");
    const request = operation.requestBody;
    if (!request) {
      assert.ok(!row.body && !(row.required ?? []).length && !(row.optional ?? []).length, "the file has no request body");
      return;
    }
    assert.ok(row.body || !request.required, "the file requires a request body");
    const schema = request.content["application/json"].schema;
    assert.deepEqual(sorted([...(row.required ?? []), ...(row.optional ?? [])]), sorted(Object.keys(schema.properties ?? {})), "body fields");
    assert.deepEqual(sorted(row.required), sorted(schema.required), "required body fields");
  });
}

test("every Client method is one row", () => {
  const helpers = new Set(["constructor", "call", "waitOperation", "findDatabase"]);
  const methods = Object.getOwnPropertyNames(Client.prototype).filter((m) => !helpers.has(m));
  assert.deepEqual(sorted(methods), sorted(Object.keys(ENDPOINTS)));
});

test("address and token come from options or SHALE_API_URL / SHALE_TOKEN", () => {
  const saved = { url: process.env.SHALE_API_URL, token: process.env.SHALE_TOKEN };
  try {
    delete process.env.SHALE_API_URL;
    delete process.env.SHALE_TOKEN;
    assert.throws(() => new Client(), /SHALE_API_URL/);
    assert.throws(() => new Client({ apiUrl: "http://127.0.0.1:1" }), /SHALE_TOKEN/);
    process.env.SHALE_API_URL = "http://127.0.0.1:1/v1/";
    process.env.SHALE_TOKEN = "shl_x";
    assert.equal(new Client().apiUrl, "http://127.0.0.1:1");
  } finally {
    for (const [key, value] of [["SHALE_API_URL", saved.url], ["SHALE_TOKEN", saved.token]]) {
      if (value === undefined) delete process.env[key]; else process.env[key] = value;
    }
  }
});

test("unknown fields are refused before sending; an unreachable API is an ApiError", async () => {
  const client = new Client({ apiUrl: "http://127.0.0.1:1", token: "shl_x", attempts: 1 });
  await assert.rejects(client.call("createRole", { id: "db_1" }, {}, { name: "a", superuser: true }), /unknown field\(s\) superuser/);
  await assert.rejects(client.listDatabases(), (error) => error instanceof ApiError && error.status === 0 && error.code === "unreachable");
});

test("withPassword fills the user of a multi-host URI", () => {
  assert.equal(withPassword("postgres://app@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write", "p/w@x"),
    "postgres://app:p%2Fw%40x@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write");
});
