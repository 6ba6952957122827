// tenant.ts — Tenant, a handle bound to one distribution value (a tenant).
//
// Before a statement runs, the handle sends EXPLAIN (FORMAT JSON) of it with its
// parameters (a plain EXPLAIN contacts no worker), reads the ShaleRemoteScan
// nodes (plan.ts), and accepts it only when each one is a router statement on
// one shard whose hash range holds the tenant (asked once per shard with
// shale.shard_for, then cached: a shard's range never changes, a split makes new
// shards). Other tenants can share that shard, so the handle also proves, once per
// statement text, that the shard follows the tenant's parameter (tenant-pin.ts).
// A reference table's shard is accepted for reads only. INSERT goes
// through insert(), which sets the distribution column itself, because Shale's
// EXPLAIN of an INSERT names no shard. Anything else is refused with a
// TenantScopeError before it runs. Cost: one extra round trip per statement.
import { QueryResult, QueryResultRow } from "pg";
import { ShaleError, TenantScopeError, toShaleError } from "./errors";
import { RemoteScan, isReadOnlyShardSql, remoteScansOfPlan, scopeProblem } from "./plan";
import { provePinnedByTenant } from "./tenant-pin";
import { TransactionOptions, TransactionReport } from "./transaction";

/** Something that runs a query: the Database or a Transaction. */
export interface Queryable {
  query<R extends QueryResultRow = any>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export type TenantValue = string | number | bigint;

interface ShardScope {
  reference: boolean;
  holdsValue: boolean;
}

interface TableInfo {
  quotedName: string;
  kind: string;
  column: string | null;
}

/** Shared by a Tenant and its transactions: what the handle learned about shards and tables. */
export class TenantScope {
  readonly text: string;
  /** Statement text -> index of the parameter proven to pin it (tenant-pin.ts). */
  readonly pins = new Map<string, number>();
  /** A value of the tenant's type on another shard (tenant-pin.ts). */
  probe?: TenantValue;
  private readonly shards = new Map<number, ShardScope>();
  private readonly tables = new Map<string, TableInfo>();

  constructor(readonly value: TenantValue) {
    this.text = String(value);
  }

  refuse(statement: string, reason: string): TenantScopeError {
    return new TenantScopeError(this.text, statement, reason);
  }

  /** Refuses sql unless it runs on the tenant's shard only (see the file comment). */
  async check(q: Queryable, sql: string, params: unknown[] = []): Promise<void> {
    const scans = await this.explain(q, sql, params);
    const problem = scopeProblem(scans);
    if (problem) throw this.refuse(sql, problem);
    await this.learnShards(q, scans.map((scan) => scan.shard));
    const distributed: RemoteScan[] = [];
    for (const scan of scans) {
      const scope = this.shards.get(scan.shard)!;
      if (scope.reference && !isReadOnlyShardSql(scan.shardSql)) {
        throw this.refuse(sql, "a write to a reference table changes every tenant's copy; run it on the Database");
      }
      if (!scope.reference && !scope.holdsValue) {
        throw this.refuse(sql, `the statement runs on shard ${scan.shard}, which does not hold tenant ${this.text}`);
      }
      if (!scope.reference) distributed.push(scan);
    }
    if (distributed.length > 0) await provePinnedByTenant(this, q, sql, params, distributed[0].shard);
  }

  /** The ShaleRemoteScan nodes of the statement's plan for these parameters. */
  async explain(q: Queryable, sql: string, params: unknown[]): Promise<RemoteScan[]> {
    try {
      return remoteScansOfPlan((await q.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows[0]["QUERY PLAN"]);
    } catch (error) {
      const e = toShaleError(error);
      if (e instanceof ShaleError && e.sqlstate === "42601") {
        throw this.refuse(sql, `only SELECT, UPDATE and DELETE run on a tenant handle (EXPLAIN refused the statement: ${e.message})`);
      }
      throw e;
    }
  }

  private async learnShards(q: Queryable, shards: number[]): Promise<void> {
    const unknown = shards.filter((shard) => !this.shards.has(shard));
    if (unknown.length === 0) return;
    const result = await q.query(
      `SELECT s.shard_id::int8::text AS shard_id, t.kind = 'reference' AS reference,
              shale.shard_for(s.table_id, $2::text) = s.shard_id AS holds_value
         FROM shale.shard s JOIN shale.tables t ON t.table_name = s.table_id WHERE s.shard_id = ANY($1::bigint[])`,
      [unknown, this.text],
    );
    for (const row of result.rows) this.shards.set(Number(row.shard_id), { reference: row.reference, holdsValue: row.holds_value });
  }

  /** The INSERT of insert(): the distribution column set to the tenant. */
  async insertStatement(q: Queryable, table: string, row: Record<string, unknown>): Promise<[string, unknown[]]> {
    let info = this.tables.get(table);
    if (!info) {
      const result = await q.query(
        `SELECT $1::regclass::text AS quoted_name, coalesce(t.kind, 'local') AS kind, t.distribution_column::text AS column
           FROM (SELECT 1) one LEFT JOIN shale.tables t ON t.table_name = $1::regclass`,
        [table],
      );
      info = { quotedName: result.rows[0].quoted_name, kind: result.rows[0].kind, column: result.rows[0].column };
      this.tables.set(table, info);
    }
    if (info.kind !== "distributed" || !info.column) throw this.refuse(`INSERT INTO ${table}`, `${table} is not a distributed table`);
    const column = info.column;
    if (column in row && String(row[column]) !== this.text) {
      throw this.refuse(`INSERT INTO ${table}`, `the row's ${column} is ${String(row[column])}, not the tenant ${this.text}`);
    }
    const others = Object.keys(row).filter((name) => name !== column).sort();
    const columns = [column, ...others].map(quoteIdentifier).join(", ");
    const placeholders = [column, ...others].map((_, i) => `$${i + 1}`).join(", ");
    const params = [typeof this.value === "bigint" ? this.value.toString() : this.value, ...others.map((name) => row[name])];
    return [`INSERT INTO ${info.quotedName} (${columns}) VALUES (${placeholders})`, params];
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Statements of one tenant, on the Database or in one of its transactions. */
export class TenantQueries {
  constructor(protected readonly scope: TenantScope, protected readonly runner: Queryable) {}

  get value(): TenantValue {
    return this.scope.value;
  }

  /** Checks and runs one statement. */
  async query<R extends QueryResultRow = any>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    await this.scope.check(this.runner, sql, params);
    return this.runner.query<R>(sql, params);
  }

  /** Inserts one row with the distribution column set to the tenant (leave it out, or give the tenant's own value). */
  async insert(table: string, row: Record<string, unknown>): Promise<QueryResult> {
    const [sql, params] = await this.scope.insertStatement(this.runner, table, row);
    return this.runner.query(sql, params);
  }
}

/** A tenant handle (Database.tenant). */
export class Tenant extends TenantQueries {
  constructor(
    value: TenantValue,
    runner: Queryable,
    private readonly transactionRunner: <T>(
      fn: (tx: Queryable) => Promise<T>,
      options?: TransactionOptions,
    ) => Promise<{ value: T; report: TransactionReport }>,
  ) {
    super(new TenantScope(value), runner);
  }

  /** Database.transaction, with the same checks on every statement of fn. */
  async transaction<T>(fn: (tx: TenantQueries) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return (await this.transactionWithReport(fn, options)).value;
  }

  /** transaction(), also returning the report: attempts, the retried errors, the time taken. */
  transactionWithReport<T>(fn: (tx: TenantQueries) => Promise<T>, options?: TransactionOptions): Promise<{ value: T; report: TransactionReport }> {
    return this.transactionRunner((tx) => fn(new TenantQueries(this.scope, tx)), options);
  }
}
