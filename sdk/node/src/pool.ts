// pool.ts — a connection pool of node-postgres clients that always talk to the
// read-write node. node-postgres has no multi-host support and no
// target_session_attrs, so a new connection tries the URI's hosts in turn
// (starting with the last one that was writable), asks each
// `SHOW transaction_read_only`, and keeps the first that says off. When no host
// is writable (the seconds of a failover), it tries again with backoff until
// connectRetryMs is up. Clients whose connection broke, or that reached a
// read-only node, are discarded instead of going back to the pool.
import { Client } from "pg";
import { ShaleError, toShaleError } from "./errors";
import { backoffDelayMs, sleep, DEFAULT_RETRY_POLICY } from "./retry";
import { ConnectionSettings, HostPort } from "./uri";

export interface PoolOptions {
  /** Most connections open at once (default 10). */
  max: number;
  /** How long a new connection keeps trying the hosts before it fails, in ms (default 15000). */
  connectRetryMs: number;
  /** Idle connections are closed after this many ms (default 30000). */
  idleTimeoutMs: number;
}

/** A pooled client; broken is set when its connection failed. */
export interface PooledClient {
  client: Client;
  host: HostPort;
  broken: boolean;
  idleTimer?: NodeJS.Timeout;
}

export class HostPool {
  private readonly idle: PooledClient[] = [];
  private readonly waiters: Array<{ resolve: (c: PooledClient) => void; reject: (e: unknown) => void }> = [];
  private open = 0;
  private preferredHost = 0;
  private ended = false;

  constructor(readonly settings: ConnectionSettings, readonly options: PoolOptions) {}

  /** Hands out an idle client, a new one, or waits for one to be released. */
  async acquire(): Promise<PooledClient> {
    if (this.ended) throw new Error("the pool has been closed");
    while (this.idle.length > 0) {
      const pooled = this.idle.pop()!;
      clearTimeout(pooled.idleTimer);
      if (!pooled.broken) return pooled;
      this.discard(pooled);
    }
    if (this.open < this.options.max) {
      this.open++;
      try {
        return await this.connectWithRetry();
      } catch (error) {
        this.open--;
        this.wakeWaiter();
        throw error;
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Gives a client back; a broken one (or discard = true) is closed. */
  release(pooled: PooledClient, discard = false): void {
    if (discard || pooled.broken || this.ended) {
      this.discard(pooled);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(pooled);
      return;
    }
    pooled.idleTimer = setTimeout(() => {
      const index = this.idle.indexOf(pooled);
      if (index >= 0) {
        this.idle.splice(index, 1);
        this.discard(pooled);
      }
    }, this.options.idleTimeoutMs);
    pooled.idleTimer.unref();
    this.idle.push(pooled);
  }

  /** Closes every idle client; clients in use are closed when released. */
  async end(): Promise<void> {
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error("the pool has been closed"));
    await Promise.all(this.idle.splice(0).map((pooled) => this.discard(pooled)));
  }

  private discard(pooled: PooledClient): Promise<void> {
    clearTimeout(pooled.idleTimer);
    this.open--;
    this.wakeWaiter();
    return pooled.client.end().catch(() => undefined);
  }

  /** A waiter whose turn came because a slot freed up gets a new connection. */
  private wakeWaiter(): void {
    if (this.waiters.length === 0 || this.open >= this.options.max || this.ended) return;
    const waiter = this.waiters.shift()!;
    this.open++;
    this.connectWithRetry().then(waiter.resolve, (error) => {
      this.open--;
      waiter.reject(error);
    });
  }

  /** connectReadWrite, again and again with backoff, until connectRetryMs is up. */
  private async connectWithRetry(): Promise<PooledClient> {
    const deadline = Date.now() + this.options.connectRetryMs;
    for (let n = 1; ; n++) {
      try {
        return await this.connectReadWrite();
      } catch (error) {
        // a node that answered and refused (a wrong password, no such database) will refuse again
        if (error instanceof ShaleError && error.fromServer && error.kind !== "connection") throw error;
        const wait = backoffDelayMs(DEFAULT_RETRY_POLICY, n);
        if (Date.now() + wait > deadline || this.ended) throw error;
        await sleep(wait);
      }
    }
  }

  /** Tries every host once, from the last writable one; throws 08001 naming each host's failure. */
  async connectReadWrite(): Promise<PooledClient> {
    const hosts = this.settings.hosts;
    const failures: string[] = [];
    for (let i = 0; i < hosts.length; i++) {
      const index = (this.preferredHost + i) % hosts.length;
      const host = hosts[index];
      const client = new Client({
        host: host.host,
        port: host.port,
        user: this.settings.user,
        password: this.settings.password,
        database: this.settings.database,
        application_name: this.settings.applicationName,
        connectionTimeoutMillis: this.settings.connectTimeoutMs,
        ssl: this.settings.sslmode && this.settings.sslmode !== "disable" ? { rejectUnauthorized: this.settings.sslmode === "verify-full" } : undefined,
        keepAlive: true,
      });
      const pooled: PooledClient = { client, host, broken: false };
      client.on("error", () => {
        pooled.broken = true; // an idle connection died (a node was killed): never hand it out
      });
      try {
        await client.connect();
        if (this.settings.targetSessionAttrs === "read-write") {
          const result = await client.query("SHOW transaction_read_only");
          if (result.rows[0]?.transaction_read_only !== "off") {
            failures.push(`${host.host}:${host.port} is read-only`);
            await client.end().catch(() => undefined);
            continue;
          }
        }
        this.preferredHost = index;
        return pooled;
      } catch (error) {
        const converted = toShaleError(error);
        failures.push(`${host.host}:${host.port}: ${(converted as Error).message ?? String(error)}`);
        await client.end().catch(() => undefined);
        if (converted instanceof ShaleError && converted.fromServer && converted.kind !== "connection") throw converted; // e.g. a wrong password
      }
    }
    throw new ShaleError({
      sqlstate: "08001",
      message: `no ${this.settings.targetSessionAttrs === "read-write" ? "read-write " : ""}host could be reached: ${failures.join("; ")}`,
      hint: "Check the nodes with shale status; during a failover this lasts a second or two.",
      fromServer: false,
    });
  }
}
