// database.ts — Database, the SDK's entry point: a pool on the read-write node
// of a Shale cluster (from its multi-host URI), transactions with retries,
// tenant handles, and the shale.* table helpers.
import { QueryResult, QueryResultRow } from "pg";
import { kindOf, toShaleError } from "./errors";
import { HostPool, PoolOptions } from "./pool";
import { Tenant, TenantValue } from "./tenant";
import { Transaction, TransactionOptions, TransactionReport, runTransaction } from "./transaction";
import { parseUri } from "./uri";

export interface ConnectOptions extends Partial<PoolOptions> {}

export interface DistributeOptions {
  /** 1-4096, default 32. */
  shardCount?: number;
  /** A distributed table whose colocation group this table joins. */
  colocateWith?: string;
}

export class Database {
  private constructor(private readonly pool: HostPool) {}

  /** Parses uri (as `shale up` prints it), opens a pool and makes one connection, so a wrong URI fails here. */
  static async connect(uri: string, options: ConnectOptions = {}): Promise<Database> {
    const pool = new HostPool(parseUri(uri), {
      max: options.max ?? 10,
      connectRetryMs: options.connectRetryMs ?? 15000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30000,
    });
    const database = new Database(pool);
    pool.release(await pool.acquire());
    return database;
  }

  /**
   * Runs one statement outside a transaction. Getting a connection waits out a
   * failover (no read-write host yet); a statement that was sent is never sent again.
   */
  async query<R extends QueryResultRow = any>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const pooled = await this.pool.acquire();
    let discard = false;
    try {
      return await pooled.client.query<R>(sql, params as any[]);
    } catch (error) {
      const kind = kindOf(error);
      discard = kind === "connection" || kind === "read_only";
      throw toShaleError(error);
    } finally {
      this.pool.release(pooled, discard);
    }
  }

  /** Runs fn in a transaction, again on retryable failures (docs/sdks.md, "Retry rules"); returns fn's value. */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return (await runTransaction(this.pool, fn, options)).value;
  }

  /** transaction(), also returning the report: attempts, the retried errors, the time taken. */
  transactionWithReport<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<{ value: T; report: TransactionReport }> {
    return runTransaction(this.pool, fn, options);
  }

  /** A handle that runs statements on the shard of one distribution value only. */
  tenant(value: TenantValue): Tenant {
    return new Tenant(value, this, (fn, options) => this.transactionWithReport((tx) => fn(tx), options));
  }

  /** shale.distribute_table: the table's rows spread over shards by the hash of column. */
  async distributeTable(table: string, column: string, options: DistributeOptions = {}): Promise<void> {
    await this.query("SELECT shale.distribute_table($1::regclass, $2::text, shard_count => $3::int, colocate_with => $4::regclass)", [
      table,
      column,
      options.shardCount ?? 32,
      options.colocateWith ?? null,
    ]);
  }

  /** shale.make_reference_table: a full copy of the table in every worker group. */
  async makeReferenceTable(table: string): Promise<void> {
    await this.query("SELECT shale.make_reference_table($1::regclass)", [table]);
  }

  /** Closes the pool. */
  end(): Promise<void> {
    return this.pool.end();
  }
}
