// tenant-pin.ts — the second half of a tenant handle's check: that a statement's
// shard follows the tenant's value, not just happens to hold it. Tenants share
// shards (a hash range holds many values), so a statement pinned by another
// tenant's value on the same shard passes the shard check. The proof: the tenant
// is one of the parameters, and when that parameter is replaced by a probe value
// that lives on another shard, EXPLAIN puts every distributed table of the
// statement on the probe's shards. Then the parameter is what pins the statement;
// that is a property of the statement text, so it is proven once and cached.
import { scopeProblem } from "./plan";
import type { Queryable, TenantScope, TenantValue } from "./tenant";

/** Refuses sql unless one of its parameters, equal to the tenant, pins every distributed table in it. */
export async function provePinnedByTenant(scope: TenantScope, q: Queryable, sql: string, params: unknown[], shard: number): Promise<void> {
  const proven = scope.pins.get(sql);
  if (proven !== undefined && proven < params.length && String(params[proven]) === scope.text) return;
  const candidates = params.flatMap((param, i) => (String(param) === scope.text ? [i] : []));
  if (candidates.length === 0) {
    throw scope.refuse(sql, `pass the tenant (${scope.text}) as a parameter ($n) of the condition on the distribution column: ` +
      "other tenants share its shard, so only a parameter shows that the statement follows the tenant");
  }
  const probe = await probeValue(scope, q, shard);
  for (const i of candidates) {
    const probed = [...params];
    probed[i] = probe;
    if (await followsProbe(scope, q, sql, probed, probe)) {
      scope.pins.set(sql, i);
      return;
    }
  }
  throw scope.refuse(sql, "the statement's conditions on the distribution column do not all follow the tenant's parameter " +
    "(another value pins it, or it is not pinned by a parameter)");
}

/** With the probe in place of the tenant: still one shard per table, and every distributed one holds the probe? */
async function followsProbe(scope: TenantScope, q: Queryable, sql: string, probed: unknown[], probe: TenantValue): Promise<boolean> {
  let scans;
  try {
    scans = await scope.explain(q, sql, probed);
  } catch {
    return false;
  }
  if (scopeProblem(scans) !== "") return false; // no longer pinned: the tenant's parameter was not the pin
  const { rows } = await q.query(
    `SELECT bool_and(shale.shard_for(s.table_id, $2::text) = s.shard_id) AS follows
       FROM shale.shard s JOIN shale.tables t ON t.table_name = s.table_id
      WHERE s.shard_id = ANY($1::bigint[]) AND t.kind = 'distributed'`,
    [scans.map((scan) => scan.shard), String(probe)],
  );
  return rows[0].follows === true;
}

/** A value of the tenant's own type whose shard, for the table of shard, is another one (kept). */
async function probeValue(scope: TenantScope, q: Queryable, shard: number): Promise<TenantValue> {
  if (scope.probe !== undefined) return scope.probe;
  const values: TenantValue[] = [];
  for (let i = 1; i <= 64; i++) {
    const tenant = scope.value;
    values.push(typeof tenant === "number" ? tenant + i : typeof tenant === "bigint" ? tenant + BigInt(i) : `${tenant}~probe${i}`);
  }
  const { rows } = await q.query(
    `SELECT min(c.i)::int AS found FROM unnest($2::text[]) WITH ORDINALITY c(v, i)
      WHERE shale.shard_for((SELECT table_id FROM shale.shard WHERE shard_id = $1), c.v) <> $1`,
    [shard, values.map(String)],
  );
  if (rows[0].found === null) throw scope.refuse("", "no other value of the tenant's type lives on another shard (a table with one shard?)");
  scope.probe = values[rows[0].found - 1];
  return scope.probe;
}
