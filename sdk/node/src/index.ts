// index.ts — the public face of the Shale SDK for Node.js; `management` is the
// client for the control plane's /v1 API (src/management/).
export { Database, ConnectOptions, DistributeOptions } from "./database";
export { Tenant, TenantQueries, TenantValue } from "./tenant";
export { Transaction, TransactionOptions, TransactionReport, IsolationLevel } from "./transaction";
export { ShaleError, TenantScopeError, CommitUnknownError, RetriesExhaustedError, ErrorKind, kindOf, kindForSqlState, toShaleError } from "./errors";
export { RetryPolicy, DEFAULT_RETRY_POLICY, decideAfterFailure, backoffDelayMs } from "./retry";
export { parseUri, ConnectionSettings, HostPort } from "./uri";
export { remoteScansOfPlan, scopeProblem, RemoteScan } from "./plan";
export { VERSION } from "./version";
export * as management from "./management";
export { Client as ManagementClient, ApiError, OperationFailedError, OperationTimeoutError } from "./management";
