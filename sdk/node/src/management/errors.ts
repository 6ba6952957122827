// errors.ts — what the management client throws: ApiError for an error answer
// of the /v1 API (or an unreachable API: status 0, code "unreachable");
// OperationFailedError and OperationTimeoutError from waitOperation.
import type { Operation } from "./types";

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    /** The request field it names, if any. */
    readonly field?: string,
    readonly method = "",
    readonly path = "",
    /** Seconds, from Retry-After (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(`${method ? `${method} ${path}: ` : ""}${status} ${code}: ${apiMessage}${field ? ` (field ${field})` : ""}`);
    this.name = "ApiError";
  }
}

export class OperationFailedError extends Error {
  constructor(readonly operation: Operation) {
    super(`operation ${operation.id} (${operation.kind}) failed: ${operation.error ?? ""}`);
    this.name = "OperationFailedError";
  }
}

export class OperationTimeoutError extends Error {
  constructor(readonly operation: Operation, readonly timeoutMs: number) {
    super(`operation ${operation.id} (${operation.kind}) still ${operation.state} at ${operation.progress} % after ${timeoutMs / 1000} s`);
    this.name = "OperationTimeoutError";
  }
}
