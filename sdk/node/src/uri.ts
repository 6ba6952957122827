// uri.ts — parses the postgres:// URIs that `shale up` prints, which list several
// hosts (postgres://user@h1:p1,h2:p2/db?target_session_attrs=read-write).
// node-postgres takes one host per client, so the pool (pool.ts) tries them itself.

export interface HostPort {
  host: string;
  port: number;
}

export interface ConnectionSettings {
  hosts: HostPort[];
  user?: string;
  password?: string;
  database?: string;
  /** "read-write" (the default here, as a Shale client always wants the writable router) or "any". */
  targetSessionAttrs: "read-write" | "any";
  connectTimeoutMs: number;
  applicationName?: string;
  sslmode?: string;
}

function invalid(uri: string, why: string): Error {
  return new Error(`invalid connection URI ${JSON.stringify(uri.replace(/:[^:@/]*@/, ":***@"))}: ${why}`);
}

/** Parses a postgres:// or postgresql:// URI with one or more host[:port] entries. */
export function parseUri(uri: string): ConnectionSettings {
  const match = /^postgres(?:ql)?:\/\/(?:([^@/?]*)@)?([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(uri);
  if (!match) throw invalid(uri, "it does not start with postgres:// or postgresql://");
  const [, userInfo, hostList, database, query] = match;
  const settings: ConnectionSettings = { hosts: [], targetSessionAttrs: "read-write", connectTimeoutMs: 5000 };
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(":");
    settings.user = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
    if (colon >= 0) settings.password = decodeURIComponent(userInfo.slice(colon + 1));
  }
  if (database) settings.database = decodeURIComponent(database);
  const params = new URLSearchParams(query ?? "");
  const defaultPort = params.has("port") ? Number(params.get("port")) : 5432;
  for (const entry of (hostList ?? "").split(",")) {
    if (entry === "") continue;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(entry);
    const parts = bracketed ?? plain;
    if (!parts) throw invalid(uri, `bad host ${JSON.stringify(entry)}`);
    settings.hosts.push({ host: decodeURIComponent(parts[1]), port: parts[2] ? Number(parts[2]) : defaultPort });
  }
  if (params.has("host")) {
    for (const host of params.get("host")!.split(",")) settings.hosts.push({ host, port: defaultPort });
  }
  if (settings.hosts.length === 0) settings.hosts.push({ host: "localhost", port: defaultPort });
  for (const [key, value] of params) {
    switch (key) {
      case "target_session_attrs":
        if (value !== "read-write" && value !== "any") throw invalid(uri, `target_session_attrs=${value} is not supported (read-write or any)`);
        settings.targetSessionAttrs = value;
        break;
      case "connect_timeout":
        settings.connectTimeoutMs = Number(value) * 1000;
        break;
      case "application_name":
        settings.applicationName = value;
        break;
      case "sslmode":
        settings.sslmode = value;
        break;
      case "user":
        settings.user = value;
        break;
      case "password":
        settings.password = value;
        break;
      case "dbname":
        settings.database = value;
        break;
      case "host":
      case "port":
        break;
      default:
        throw invalid(uri, `parameter ${key} is not supported by this SDK`);
    }
  }
  return settings;
}
