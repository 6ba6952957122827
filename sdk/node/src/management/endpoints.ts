// endpoints.ts — every /v1 call the management client makes, as data. The
// client sends requests only through this table (Client.call), and
// test/management.test.mjs checks each row against docs/control-plane-openapi.json
// (path, method, path, query and header parameters, request body fields), so
// the client cannot drift from the contract without a test failing.

export interface Endpoint {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** An OpenAPI path template: /v1/databases/{id}. */
  path: string;
  query?: string[];
  /** Request body fields the API requires. */
  required?: string[];
  /** Request body fields it also takes. */
  optional?: string[];
  /** Sends a JSON body. */
  body?: boolean;
}

const DB = "/v1/databases/{id}";
const post = (path: string, required: string[] = [], optional: string[] = [], body = true): Endpoint =>
  ({ method: "POST", path, required, optional, body });

/** The rows, by the name of the Client method that sends them. */
export const ENDPOINTS = {
  listDatabases: { method: "GET", path: "/v1/databases", query: ["include_deleted"] },
  createDatabase: post("/v1/databases", ["name"], ["template", "plan", "worker_groups", "replicas", "settings"]),
  getDatabase: { method: "GET", path: DB },
  updateDatabase: { method: "PATCH", path: DB, optional: ["plan", "settings"], body: true },
  deleteDatabase: { method: "DELETE", path: DB },
  undeleteDatabase: post(DB + "/undelete", [], [], false),
  listBranches: { method: "GET", path: DB + "/branches" },
  createBranch: post(DB + "/branches", ["name"], ["data", "ttl_seconds"]),
  getBranch: { method: "GET", path: DB + "/branches/{branch}" },
  deleteBranch: { method: "DELETE", path: DB + "/branches/{branch}" },
  resetBranch: post(DB + "/branches/{branch}/reset"),
  listDeployRequests: { method: "GET", path: DB + "/deploy-requests" },
  createDeployRequest: post(DB + "/deploy-requests", ["branch"], ["auto_apply"]),
  getDeployRequest: { method: "GET", path: DB + "/deploy-requests/{request}" },
  deploy: post(DB + "/deploy-requests/{request}/deploy"),
  revert: post(DB + "/deploy-requests/{request}/revert"),
  closeDeployRequest: post(DB + "/deploy-requests/{request}/close"),
  listRoles: { method: "GET", path: DB + "/roles" },
  createRole: post(DB + "/roles", ["name"]),
  resetRolePassword: post(DB + "/roles/{name}/reset-password", [], [], false),
  deleteRole: { method: "DELETE", path: DB + "/roles/{name}" },
  listBackups: { method: "GET", path: DB + "/backups" },
  createBackup: post(DB + "/backups", [], ["kind"]),
  createRestorePoint: post(DB + "/restore-points", [], ["name"]),
  restore: post(DB + "/restore", ["name", "to"], ["replicas"]),
  listTables: { method: "GET", path: DB + "/tables" },
  distributeTable: post(DB + "/tables/{name}/distribute", ["column"], ["shard_count", "colocate_with"]),
  makeReferenceTable: post(DB + "/tables/{name}/make-reference"),
  listOperations: { method: "GET", path: "/v1/operations", query: ["limit", "database_id"] },
  getOperation: { method: "GET", path: "/v1/operations/{id}" },
  getInsights: { method: "GET", path: DB + "/insights", query: ["window", "limit"] },
  getCaCertificate: { method: "GET", path: "/v1/ca-certificate" },
} satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;
