// retry.ts — the retry rules of Database.transaction, as pure functions (the same
// rules as the Go and Python SDKs; docs/sdks.md, "Retry rules"):
// - retried: 40001, 40P01, 08xxx and a lost socket, 57P01-57P03, 25006, and any
//   FATAL or PANIC (the server ended the session);
// - a COMMIT that got no answer (the socket broke, or a FATAL came) may have
//   committed: never retried unless the function is marked idempotent. A COMMIT
//   answered with an ERROR did not commit, and follows the rule above;
// - backoff: retry n waits between half and all of min(maxDelayMs, baseDelayMs * 2^(n-1));
// - bound: at most maxAttempts runs of the function.
import { ShaleError, toShaleError } from "./errors";

export interface RetryPolicy {
  /** Runs of the function, the first included (default 10). */
  maxAttempts: number;
  /** Wait before the first retry, in ms (default 100). */
  baseDelayMs: number;
  /** Longest wait between two attempts, in ms (default 2000). */
  maxDelayMs: number;
}

/** Covers a failover (0.8-1.8 s from kill -9 to the next write, docs/high-availability.md) several times over. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 2000 };

export type Phase = "body" | "commit";
export type Decision = "give_up" | "retry" | "commit_unknown";

/** Applies the retry rules to one failed attempt. */
export function decideAfterFailure(phase: Phase, error: unknown, idempotent: boolean): Decision {
  const e = toShaleError(error);
  if (!(e instanceof ShaleError)) return "give_up";
  const outcomeUnknown = !e.fromServer || e.severity !== "ERROR";
  if (phase === "commit" && outcomeUnknown && !idempotent) return "commit_unknown";
  if (e.kind === "serialization" || e.kind === "deadlock" || e.kind === "connection" || e.kind === "read_only") return "retry";
  // a FATAL, or a PANIC that restarts the node, ended the session: a lost connection by another name
  if (e.severity === "FATAL" || e.severity === "PANIC") return "retry";
  return "give_up";
}

/** The wait before retry number n (n >= 1); random() returns a number in [0, 1). */
export function backoffDelayMs(policy: RetryPolicy, n: number, random: () => number = Math.random): number {
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return delay / 2 + random() * (delay / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
