// connect.ts — a Database from a database name and an API token. The API shows
// the superuser's URI without its password, and a role's password only in the
// answer that creates or resets it. So connectionUri looks the database up,
// then puts the caller's password into the role's connection_uri, creates the
// role, or (reset) gives it a new password; connect opens the usual pool.
import { ConnectOptions, Database } from "../database";
import { Client, ClientOptions } from "./client";
import { ApiError } from "./errors";

export interface RoleOptions {
  /** Default "app". */
  role?: string;
  /** The role's password, when known: nothing is created or reset. */
  password?: string;
  /** The role exists and its password is unknown: give it a new one. */
  reset?: boolean;
}

/** A role's URI with its password: keep it as secret as the password. */
export interface ConnectionInfo {
  uri: string;
  role: string;
  password: string;
  databaseId: string;
  /** The role was created by this call. */
  created: boolean;
}

/** uri with password set for its user (a role's connection_uri has none). */
export function withPassword(uri: string, password: string): string {
  const match = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(uri);
  if (!match) throw new Error(`${uri} has no user`);
  return `${match[1]}${match[2].split(":")[0]}:${encodeURIComponent(password)}@${match[3]}`;
}

/** The URI of a role on the database named database (or its id). */
export async function connectionUri(client: Client, database: string, o: RoleOptions = {}): Promise<ConnectionInfo> {
  const role = o.role ?? "app";
  const found = await client.findDatabase(database);
  if (found.state !== "ready") {
    throw new ApiError(409, "not_ready", `database ${found.name} is ${found.state}, not ready${found.error ? `: ${found.error}` : ""}`, undefined, "GET", "/v1/databases");
  }
  const rolesPath = `/v1/databases/${found.id}/roles`;
  const existing = (await client.listRoles(found.id)).find((r) => r.name === role);
  if (o.password !== undefined) {
    if (!existing?.connection_uri) throw new ApiError(404, "not_found", `database ${found.name} has no role "${role}"`, "role", "GET", rolesPath);
    return { uri: withPassword(existing.connection_uri, o.password), role, password: o.password, databaseId: found.id, created: false };
  }
  if (existing && !o.reset) {
    throw new ApiError(409, "role_exists", `role "${role}" of database ${found.name} exists and its password is shown only when it is created or reset: ` +
      "pass password, or reset: true to give it a new one", "role", "GET", rolesPath);
  }
  const answer = existing ? await client.resetRolePassword(found.id, role) : await client.createRole(found.id, role);
  return { uri: answer.connection_uri, role, password: answer.password, databaseId: found.id, created: !existing };
}

export interface ConnectByNameOptions extends RoleOptions, ConnectOptions {
  /** A client to use; else one from apiUrl/token or SHALE_API_URL/SHALE_TOKEN. */
  client?: Client;
  apiUrl?: ClientOptions["apiUrl"];
  token?: ClientOptions["token"];
}

/** Opens a Database (the SDK's pool, retries and tenant handles) on the database named database. */
export async function connect(database: string, o: ConnectByNameOptions = {}): Promise<Database> {
  const { client, apiUrl, token, role, password, reset, ...poolOptions } = o;
  const api = client ?? new Client({ apiUrl, token });
  const info = await connectionUri(api, database, { role, password, reset });
  return Database.connect(info.uri, poolOptions);
}
