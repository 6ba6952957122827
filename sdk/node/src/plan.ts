// plan.ts — reads Shale's distributed plan from EXPLAIN (FORMAT JSON): the
// ShaleRemoteScan nodes, with their "Distributed" path, "Shard" and "Shard SQL".
// Pure functions; tenant.ts decides with them.

export interface RemoteScan {
  distributed: string;
  /** 0 when the plan names no shard. */
  shard: number;
  shards: number;
  shardSql: string;
}

interface PlanNode {
  "Custom Plan Provider"?: string;
  Distributed?: string;
  Shard?: number;
  Shards?: number;
  "Shard SQL"?: string;
  Plans?: PlanNode[];
}

/** The ShaleRemoteScan nodes of an EXPLAIN (FORMAT JSON) result (a JSON string or the parsed value). */
export function remoteScansOfPlan(explain: unknown): RemoteScan[] {
  const top = (typeof explain === "string" ? JSON.parse(explain) : explain) as Array<{ Plan: PlanNode }>;
  if (!Array.isArray(top)) throw new Error("cannot read EXPLAIN output: not a JSON array");
  const scans: RemoteScan[] = [];
  const walk = (node: PlanNode): void => {
    if (node["Custom Plan Provider"] === "ShaleRemoteScan") {
      scans.push({
        distributed: node.Distributed ?? "",
        shard: node.Shard ?? 0,
        shards: node.Shards ?? 0,
        shardSql: (node["Shard SQL"] ?? "").trim(),
      });
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  for (const entry of top) walk(entry.Plan);
  return scans;
}

/** Why a statement with these scans cannot run on a tenant handle whatever its shard, or "" when each scan is pinned. */
export function scopeProblem(scans: RemoteScan[]): string {
  if (scans.length === 0) return "the statement uses no distributed or reference table; run it on the Database, not on a tenant handle";
  for (const scan of scans) {
    if (scan.distributed.startsWith("insert")) return "an INSERT on a tenant handle goes through insert(table, row), which sets the distribution column itself";
    if (scan.distributed !== "router (one shard)") {
      return `the statement runs on ${scan.shards} shards (${scan.distributed}), not on the tenant's shard alone; add a condition on the distribution column (= the tenant)`;
    }
    if (scan.shard === 0) return "the plan does not name the statement's shard";
  }
  return "";
}

/** Whether a pinned statement only reads: its shard SQL is a SELECT (a WITH counts as a write, to be safe). */
export function isReadOnlyShardSql(shardSql: string): boolean {
  return /^select\b/i.test(shardSql.trim());
}
