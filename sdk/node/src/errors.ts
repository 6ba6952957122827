// errors.ts — typed errors. Every failure the SDK raises is a ShaleError (a
// database error, with SQLSTATE, message, detail, hint and a kind to match on)
// or one of the SDK's own: TenantScopeError, CommitUnknownError, RetriesExhaustedError.

/** What a program does about an error, by SQLSTATE. */
export type ErrorKind =
  | "serialization" // 40001: run the transaction again
  | "deadlock" // 40P01: run the transaction again
  | "connection" // 08xxx, 57P01-57P03, a lost socket: run it again once a node answers
  | "read_only" // 25006: the connection reached a read-only node
  | "feature_not_supported" // 0A000: a statement Shale refuses (docs/queries.md)
  | "unique_violation" // 23505
  | "canceled" // 57014
  | "other";

/** Maps a SQLSTATE to its kind. */
export function kindForSqlState(code: string): ErrorKind {
  if (code === "40001") return "serialization";
  if (code === "40P01") return "deadlock";
  if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03") return "connection";
  if (code === "25006") return "read_only";
  if (code === "0A000") return "feature_not_supported";
  if (code === "23505") return "unique_violation";
  if (code === "57014") return "canceled";
  return "other";
}

export interface ShaleErrorFields {
  sqlstate: string;
  message: string;
  severity?: string;
  detail?: string;
  hint?: string;
  where?: string;
  /** True when the server answered with an ErrorResponse (a COMMIT answered with ERROR did not commit). */
  fromServer: boolean;
  cause?: unknown;
}

/** A database error: the server's fields, or SQLSTATE 08006 when the connection was lost. */
export class ShaleError extends Error {
  readonly sqlstate: string;
  readonly kind: ErrorKind;
  readonly severity?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly where?: string;
  readonly fromServer: boolean;
  readonly cause?: unknown;

  constructor(fields: ShaleErrorFields) {
    super(fields.hint ? `${fields.message} (SQLSTATE ${fields.sqlstate}); hint: ${fields.hint}` : `${fields.message} (SQLSTATE ${fields.sqlstate})`);
    this.name = "ShaleError";
    this.sqlstate = fields.sqlstate;
    this.kind = kindForSqlState(fields.sqlstate);
    this.severity = fields.severity;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.where = fields.where;
    this.fromServer = fields.fromServer;
    this.cause = fields.cause;
  }
}

/** A tenant handle refused a statement before running it. */
export class TenantScopeError extends Error {
  constructor(readonly tenant: string, readonly statement: string, readonly reason: string) {
    super(`tenant ${JSON.stringify(tenant)}: statement refused: ${reason}`);
    this.name = "TenantScopeError";
  }
}

/** The connection broke during COMMIT: the transaction may or may not have committed, so it was not run again. */
export class CommitUnknownError extends Error {
  constructor(readonly attempts: number, readonly cause: unknown) {
    super(
      `the connection was lost during COMMIT (attempt ${attempts}); the transaction may or may not have committed, ` +
        `so it was not run again (pass { idempotent: true } if running it twice is safe): ${String((cause as Error)?.message ?? cause)}`,
    );
    this.name = "CommitUnknownError";
  }
}

/** Every allowed attempt failed with a retryable error. */
export class RetriesExhaustedError extends Error {
  constructor(readonly attempts: number, readonly lastError: unknown) {
    super(`transaction failed after ${attempts} attempts; last error: ${String((lastError as Error)?.message ?? lastError)}`);
    this.name = "RetriesExhaustedError";
  }
}

const socketErrorCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTCONN", "EHOSTUNREACH", "ECONNABORTED", "ENETUNREACH"]);

/** Converts an error from node-postgres or the network into a ShaleError; other errors are returned as they are. */
export function toShaleError(error: unknown): unknown {
  if (error instanceof ShaleError || error instanceof TenantScopeError) return error;
  if (!(error instanceof Error)) return error;
  const e = error as Error & { code?: string; severity?: string; detail?: string; hint?: string; where?: string };
  if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && e.severity) {
    return new ShaleError({ sqlstate: e.code, message: e.message, severity: e.severity, detail: e.detail, hint: e.hint, where: e.where, fromServer: true, cause: error });
  }
  if ((typeof e.code === "string" && socketErrorCodes.has(e.code)) || /Connection terminated|not queryable|connection timeout/i.test(e.message)) {
    return new ShaleError({ sqlstate: "08006", message: `connection lost: ${e.message}`, fromServer: false, cause: error });
  }
  return error;
}

/** The kind of any error ("other" for errors that are not database errors). */
export function kindOf(error: unknown): ErrorKind {
  const converted = toShaleError(error);
  return converted instanceof ShaleError ? converted.kind : "other";
}
