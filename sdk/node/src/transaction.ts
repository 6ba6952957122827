// transaction.ts — runs a function in a transaction on one pooled client and runs
// it again, by the rules in retry.ts, when a failover or a conflict aborted it.
import { QueryResult, QueryResultRow } from "pg";
import { CommitUnknownError, RetriesExhaustedError, ShaleError, kindOf, toShaleError } from "./errors";
import { HostPool, PooledClient } from "./pool";
import { DEFAULT_RETRY_POLICY, Phase, RetryPolicy, backoffDelayMs, decideAfterFailure, sleep } from "./retry";

export type IsolationLevel = "read committed" | "repeatable read";

export interface TransactionOptions {
  /** Running the function twice is safe even if its first COMMIT took effect: retry after a lost COMMIT too. */
  idempotent?: boolean;
  isolation?: IsolationLevel;
  retry?: Partial<RetryPolicy>;
  /** Called before each wait, with the failed attempt's number and error. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

export interface TransactionReport {
  /** Runs of the function, the successful one included. */
  attempts: number;
  /** The error of each retried attempt, in order. */
  retried: unknown[];
  lastError?: unknown;
  elapsedMs: number;
}

/** What a transaction function gets: query() on the transaction's connection. */
export class Transaction {
  constructor(private readonly pooled: PooledClient) {}

  async query<R extends QueryResultRow = any>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    try {
      return await this.pooled.client.query<R>(sql, params as any[]);
    } catch (error) {
      throw toShaleError(error);
    }
  }
}

/** Runs fn in transactions until one commits or the rules say stop; returns fn's value and the report. */
export async function runTransaction<T>(
  pool: HostPool,
  fn: (tx: Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<{ value: T; report: TransactionReport }> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const started = Date.now();
  const report: TransactionReport = { attempts: 0, retried: [], elapsedMs: 0 };
  for (let attempt = 1; ; attempt++) {
    report.attempts = attempt;
    const outcome = await runAttempt(pool, fn, options.isolation ?? "read committed");
    report.elapsedMs = Date.now() - started;
    if (outcome.ok) return { value: outcome.value as T, report };
    const error = toShaleError(outcome.error);
    const decision = decideAfterFailure(outcome.phase, error, options.idempotent ?? false);
    if (decision === "give_up") throw error;
    if (decision === "commit_unknown") throw new CommitUnknownError(attempt, error);
    report.retried.push(error);
    report.lastError = error;
    if (attempt >= policy.maxAttempts) throw new RetriesExhaustedError(attempt, error);
    const delay = backoffDelayMs(policy, attempt);
    options.onRetry?.(attempt, error, delay);
    await sleep(delay);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; phase: Phase; error: unknown };

async function runAttempt<T>(pool: HostPool, fn: (tx: Transaction) => Promise<T>, isolation: IsolationLevel): Promise<Outcome> {
  let pooled: PooledClient;
  try {
    pooled = await pool.acquire();
  } catch (error) {
    return { ok: false, phase: "body", error };
  }
  let phase: Phase = "body";
  let failure: unknown;
  try {
    await pooled.client.query(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
    const value = await fn(new Transaction(pooled));
    phase = "commit";
    const result = await pooled.client.query("COMMIT");
    if (result.command === "ROLLBACK") {
      throw new ShaleError({ sqlstate: "25P02", message: "COMMIT rolled the transaction back: a statement in it had failed", severity: "ERROR", fromServer: true });
    }
    return { ok: true, value };
  } catch (error) {
    failure = error;
    if (phase === "body") await pooled.client.query("ROLLBACK").catch(() => undefined);
    return { ok: false, phase, error };
  } finally {
    const kind = failure === undefined ? "other" : kindOf(failure);
    pool.release(pooled, kind === "connection" || kind === "read_only");
  }
}
