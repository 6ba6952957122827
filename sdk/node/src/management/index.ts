// management/index.ts — the client for the control plane's /v1 API (shale serve),
// exported by the package as `management` (and its classes by name).
export { Client, ClientOptions, CreateDatabaseOptions, WaitOptions } from "./client";
export { connect, connectionUri, withPassword, ConnectionInfo, ConnectByNameOptions, RoleOptions } from "./connect";
export { ENDPOINTS, Endpoint, EndpointName } from "./endpoints";
export { ApiError, OperationFailedError, OperationTimeoutError } from "./errors";
export * from "./types";
