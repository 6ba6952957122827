// require.test.cjs — the CommonJS entry point loads and shares its classes with
// the ES module one (one implementation: an error from either is instanceof both).
const { test } = require("node:test");
const assert = require("node:assert/strict");
const sdk = require("@shale-db/sdk");

test("require() gives the same classes as import", async () => {
  const esm = await import("@shale-db/sdk");
  assert.equal(typeof sdk.Database.connect, "function");
  assert.equal(esm.Database, sdk.Database);
  assert.ok(new esm.ShaleError({ sqlstate: "40001", message: "m", fromServer: true }) instanceof sdk.ShaleError);
});
