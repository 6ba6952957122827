// client.ts — Client, the management client for the control plane's /v1 API.
// Each method is one row of ENDPOINTS (same name). Calls that start long work
// answer with an operation: waitOperation follows it until it ends.
import { randomUUID } from "crypto";
import { ENDPOINTS, Endpoint, EndpointName } from "./endpoints";
import { OperationFailedError, OperationTimeoutError } from "./errors";
import { exchange } from "./transport";
import { CaCertificate, Database, DatabaseAndOperation, DeployRequest, Json, Operation, Role, RoleWithPassword } from "./types";
import { ApiError } from "./errors";

export interface ClientOptions {
  /** Default SHALE_API_URL; may end in /v1 or not. */
  apiUrl?: string;
  /** Default SHALE_TOKEN. */
  token?: string;
  /** Per request, default 60 s. */
  timeoutMs?: number;
  /** Tries for 429, 503 and refused connections, default 4. */
  attempts?: number;
}

export interface CreateDatabaseOptions {
  template?: string;
  plan?: "free" | "starter" | "growth" | "enterprise";
  workerGroups?: number;
  replicas?: number;
  settings?: Json;
}

export interface WaitOptions {
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** Between polls, default 500 ms. */
  intervalMs?: number;
}

type Params = Record<string, unknown>;
const defined = (values: Params): Params =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== null));

export class Client {
  readonly apiUrl: string;
  readonly token: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(options: ClientOptions = {}) {
    const url = options.apiUrl ?? process.env.SHALE_API_URL;
    const token = options.token ?? process.env.SHALE_TOKEN;
    if (!url) throw new Error("no API address: pass apiUrl or set SHALE_API_URL (shale serve prints it)");
    if (!token) throw new Error("no API token: pass token or set SHALE_TOKEN");
    this.apiUrl = url.replace(/\/+$/, "").replace(/\/v1$/, "");
    this.token = token;
    this.timeoutMs = options.timeoutMs ?? 60000;
    this.attempts = options.attempts ?? 4;
  }

  /** Sends the request of one ENDPOINTS row; refuses, before sending, query parameters or body fields it does not list. */
  async call(name: EndpointName, path: Params = {}, query: Params = {}, body: Params = {}): Promise<any> {
    const row: Endpoint = ENDPOINTS[name];
    let target = row.path;
    for (const [key, value] of Object.entries(path)) target = target.split(`{${key}}`).join(encodeURIComponent(String(value)));
    if (target.includes("{")) throw new Error(`${name}: missing path parameter in ${target}`);
    const given = defined(query);
    const unknownQuery = Object.keys(given).filter((key) => !(row.query ?? []).includes(key));
    if (unknownQuery.length) throw new Error(`${name}: unknown query parameter(s) ${unknownQuery.join(", ")}`);
    if (Object.keys(given).length) target += "?" + new URLSearchParams(Object.entries(given).map(([k, v]): [string, string] => [k, String(v)])).toString();
    let payload: Params | undefined;
    if (row.body) {
      payload = defined(body);
      const allowed = [...(row.required ?? []), ...(row.optional ?? [])];
      const unknown = Object.keys(payload).filter((key) => !allowed.includes(key));
      if (unknown.length) throw new Error(`${name}: unknown field(s) ${unknown.join(", ")}`);
    }
    const headers: Record<string, string> = row.method === "POST" ? { "Idempotency-Key": randomUUID() } : {};
    return exchange(this.apiUrl, this.token, row.method, target, payload, headers, { timeoutMs: this.timeoutMs, attempts: this.attempts });
  }

  // databases
  async listDatabases(includeDeleted = false): Promise<Database[]> {
    return (await this.call("listDatabases", {}, { include_deleted: includeDeleted || undefined })).databases;
  }
  /** Answers at once; the database is ready when the operation succeeded. */
  createDatabase(name: string, o: CreateDatabaseOptions = {}): Promise<DatabaseAndOperation> {
    return this.call("createDatabase", {}, {}, { name, template: o.template, plan: o.plan, worker_groups: o.workerGroups, replicas: o.replicas, settings: o.settings });
  }
  async getDatabase(id: string): Promise<Database> { return (await this.call("getDatabase", { id })).database; }
  /** The database with this name (or id), from one listDatabases. */
  async findDatabase(name: string): Promise<Database> {
    const found = (await this.listDatabases()).find((d) => d.name === name || d.id === name);
    if (!found) throw new ApiError(404, "not_found", `no database named "${name}" in this organization`, "name", "GET", "/v1/databases");
    return found;
  }
  async updateDatabase(id: string, change: { plan?: string; settings?: Json }): Promise<Database> {
    return (await this.call("updateDatabase", { id }, {}, change)).database;
  }
  deleteDatabase(id: string): Promise<DatabaseAndOperation> { return this.call("deleteDatabase", { id }); }
  undeleteDatabase(id: string): Promise<DatabaseAndOperation> { return this.call("undeleteDatabase", { id }); }

  // branches: a branch is a Database whose parent_id is the database
  async listBranches(id: string): Promise<Database[]> { return (await this.call("listBranches", { id })).branches; }
  /** data: schema (default), latest, a restore point or a UTC time. */
  createBranch(id: string, name: string, o: { data?: string; ttlSeconds?: number } = {}): Promise<DatabaseAndOperation> {
    return this.call("createBranch", { id }, {}, { name, data: o.data, ttl_seconds: o.ttlSeconds });
  }
  async getBranch(id: string, branch: string): Promise<Database> { return (await this.call("getBranch", { id, branch })).database; }
  deleteBranch(id: string, branch: string): Promise<DatabaseAndOperation> { return this.call("deleteBranch", { id, branch }); }
  resetBranch(id: string, branch: string): Promise<DatabaseAndOperation> { return this.call("resetBranch", { id, branch }); }

  // deploy requests (request: its number or id)
  async listDeployRequests(id: string): Promise<DeployRequest[]> { return (await this.call("listDeployRequests", { id })).deploy_requests; }
  /** operation is null unless autoApply started a deploy. */
  createDeployRequest(id: string, branch: string, o: { autoApply?: boolean } = {}): Promise<{ deploy_request: DeployRequest; operation: Operation | null }> {
    return this.call("createDeployRequest", { id }, {}, { branch, auto_apply: o.autoApply });
  }
  async getDeployRequest(id: string, request: string | number): Promise<DeployRequest> {
    return (await this.call("getDeployRequest", { id, request })).deploy_request;
  }
  deploy(id: string, request: string | number): Promise<{ deploy_request: DeployRequest; operation: Operation }> {
    return this.call("deploy", { id, request });
  }
  revert(id: string, request: string | number): Promise<{ deploy_request: DeployRequest; operation: Operation }> {
    return this.call("revert", { id, request });
  }
  async closeDeployRequest(id: string, request: string | number): Promise<DeployRequest> {
    return (await this.call("closeDeployRequest", { id, request })).deploy_request;
  }

  // roles
  async listRoles(id: string): Promise<Role[]> { return (await this.call("listRoles", { id })).roles; }
  /** The only time the password is shown. */
  createRole(id: string, name: string): Promise<RoleWithPassword> { return this.call("createRole", { id }, {}, { name }); }
  /** A new password; the old one stops working. */
  resetRolePassword(id: string, name: string): Promise<RoleWithPassword> { return this.call("resetRolePassword", { id, name }); }
  async deleteRole(id: string, name: string): Promise<void> { await this.call("deleteRole", { id, name }); }

  // backups and restore points
  listBackups(id: string): Promise<{ backups: Json[]; restore_points: Json[] }> { return this.call("listBackups", { id }); }
  async createBackup(id: string, kind?: "full" | "diff" | "incr"): Promise<Operation> {
    return (await this.call("createBackup", { id }, {}, { kind })).operation;
  }
  async createRestorePoint(id: string, name?: string): Promise<Operation> {
    return (await this.call("createRestorePoint", { id }, {}, { name })).operation;
  }
  /** A new database named name from id's backups at to (a restore point or a UTC time). */
  restore(id: string, name: string, to: string, o: { replicas?: number } = {}): Promise<DatabaseAndOperation> {
    return this.call("restore", { id }, {}, { name, to, replicas: o.replicas });
  }

  // tables (as the database's superuser, which application roles are not)
  async listTables(id: string): Promise<Json[]> { return (await this.call("listTables", { id })).tables; }
  /** shale.distribute_table on the router, done when it answers. */
  async distributeTable(id: string, table: string, column: string, o: { shardCount?: number; colocateWith?: string } = {}): Promise<Json> {
    return (await this.call("distributeTable", { id, name: table }, {}, { column, shard_count: o.shardCount, colocate_with: o.colocateWith })).table;
  }
  async makeReferenceTable(id: string, table: string): Promise<Json> {
    return (await this.call("makeReferenceTable", { id, name: table })).table;
  }

  // operations
  async listOperations(o: { databaseId?: string; limit?: number } = {}): Promise<Operation[]> {
    return (await this.call("listOperations", {}, { database_id: o.databaseId, limit: o.limit })).operations;
  }
  async getOperation(id: string): Promise<Operation> { return (await this.call("getOperation", { id })).operation; }
  /**
   * Polls GET /v1/operations/{id} until the operation succeeded (returned), failed
   * (OperationFailedError) or timeoutMs passed (OperationTimeoutError). operation:
   * an id, an operation, or an answer that holds one.
   */
  async waitOperation(operation: string | { id: string } | { operation: { id: string } }, o: WaitOptions = {}): Promise<Operation> {
    const id = typeof operation === "string" ? operation : "operation" in operation ? operation.operation.id : operation.id;
    const timeoutMs = o.timeoutMs ?? 300000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await this.getOperation(id);
      if (current.state === "succeeded") return current;
      if (current.state === "failed") throw new OperationFailedError(current);
      const left = deadline - Date.now();
      if (left <= 0) throw new OperationTimeoutError(current, timeoutMs);
      await new Promise((resolve) => setTimeout(resolve, Math.min(o.intervalMs ?? 500, left)));
    }
  }

  // insights and TLS
  /** window: 15m, 1h (default), 24h, 7d...; limit: patterns listed (default 20). */
  async getInsights(id: string, o: { window?: string; limit?: number } = {}): Promise<Json> {
    return (await this.call("getInsights", { id }, { window: o.window, limit: o.limit })).insights;
  }
  getCaCertificate(): Promise<CaCertificate> { return this.call("getCaCertificate"); }
}
