// unit.test.mjs — unit tests of the pure parts: URI parsing, the retry rules,
// the EXPLAIN reader (on plans captured from a real cluster) and error mapping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  parseUri, decideAfterFailure, backoffDelayMs, DEFAULT_RETRY_POLICY, remoteScansOfPlan, scopeProblem,
  toShaleError, ShaleError, kindOf, VERSION,
} from "../dist/esm/index.mjs";

const plan = (name) => readFileSync(fileURLToPath(new URL(`../../testdata/explain/${name}`, import.meta.url)), "utf8");
const serverError = (code, severity = "ERROR") => Object.assign(new Error("m"), { code, severity, hint: "h" });

test("parses the multi-host URI that shale up prints", () => {
  const s = parseUri("postgres://postgres@127.0.0.1:20700,127.0.0.1:20701/postgres?target_session_attrs=read-write");
  assert.deepEqual(s.hosts, [{ host: "127.0.0.1", port: 20700 }, { host: "127.0.0.1", port: 20701 }]);
  assert.equal(s.user, "postgres");
  assert.equal(s.database, "postgres");
  assert.equal(s.targetSessionAttrs, "read-write");
});

test("parses passwords, IPv6 hosts, default ports and connect_timeout", () => {
  const s = parseUri("postgresql://app:p%40ss@[::1]:6000,db2/my%20db?connect_timeout=3&application_name=x");
  assert.deepEqual(s.hosts, [{ host: "::1", port: 6000 }, { host: "db2", port: 5432 }]);
  assert.equal(s.password, "p@ss");
  assert.equal(s.database, "my db");
  assert.equal(s.connectTimeoutMs, 3000);
  assert.equal(s.applicationName, "x");
});

test("refuses what it cannot honour", () => {
  assert.throws(() => parseUri("mysql://x"), /postgres:\/\//);
  assert.throws(() => parseUri("postgres://h/db?target_session_attrs=standby"), /not supported/);
  assert.throws(() => parseUri("postgres://h/db?frobnicate=1"), /frobnicate/);
});

test("retry rules", () => {
  const lost = new Error("Connection terminated unexpectedly");
  const cases = [
    ["body", serverError("40001"), false, "retry"],
    ["body", serverError("40P01"), false, "retry"],
    ["body", serverError("08006"), false, "retry"],
    ["body", serverError("57P01", "FATAL"), false, "retry"],
    ["body", serverError("25006"), false, "retry"],
    ["body", lost, false, "retry"],
    ["body", serverError("23505"), false, "give_up"],
    ["body", serverError("0A000"), false, "give_up"],
    ["body", new Error("business rule"), false, "give_up"],
    ["commit", serverError("08006"), false, "retry"],
    ["commit", lost, false, "commit_unknown"],
    ["commit", serverError("57P01", "FATAL"), false, "commit_unknown"],
    ["commit", lost, true, "retry"],
    ["commit", serverError("23505"), true, "give_up"],
    ["commit", serverError("XX000", "PANIC"), false, "commit_unknown"],
    ["commit", serverError("XX000", "PANIC"), true, "retry"],
    ["body", serverError("XX000", "PANIC"), false, "retry"],
    ["body", serverError("XX000"), false, "give_up"],
  ];
  for (const [phase, error, idempotent, want] of cases) {
    assert.equal(decideAfterFailure(phase, error, idempotent), want, `${phase} ${error.code ?? error.message} idempotent=${idempotent}`);
  }
});

test("backoff doubles from 100 ms, is capped at 2 s, with jitter in the upper half", () => {
  const bounds = [100, 200, 400, 800, 1600, 2000, 2000];
  bounds.forEach((max, i) => {
    assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, i + 1, () => 0), max / 2);
    assert.equal(backoffDelayMs(DEFAULT_RETRY_POLICY, i + 1, () => 0.999999) <= max, true);
  });
});

test("reads Shale's plans", () => {
  const scans = remoteScansOfPlan(plan("router_select.json"));
  assert.equal(scans.length, 1);
  assert.equal(scans[0].shard, 102030);
  assert.equal(scopeProblem(scans), "");
  assert.match(scopeProblem(remoteScansOfPlan(plan("multi_shard.json"))), /runs on 2 shards/);
  assert.match(scopeProblem(remoteScansOfPlan(plan("outer_join.json"))), /every shard/);
  assert.match(scopeProblem(remoteScansOfPlan(plan("insert.json"))), /insert\(table, row\)/);
  assert.match(scopeProblem(remoteScansOfPlan(plan("no_table.json"))), /no distributed or reference table/);
});

test("errors keep the server's fields", () => {
  const e = toShaleError(Object.assign(new Error("SELECT … FOR UPDATE/SHARE across shards is not supported"), {
    code: "0A000", severity: "ERROR", hint: "Lock rows of one shard at a time", where: "on worker node 127.0.0.1:1",
  }));
  assert.ok(e instanceof ShaleError);
  assert.equal(e.kind, "feature_not_supported");
  assert.equal(e.sqlstate, "0A000");
  assert.equal(e.hint, "Lock rows of one shard at a time");
  assert.equal(e.fromServer, true);
  assert.equal(kindOf(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), "connection");
  assert.equal(kindOf(new Error("x")), "other");
  assert.equal(VERSION, JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
});
