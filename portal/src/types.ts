// types.ts — the shapes of the /v1 answers the portal reads (docs/control-plane-openapi.json).

export type Member = { id: string; email: string; name: string; role: "admin" | "developer" | "read-only"; created_at: string; password_changed_at: string };
export type Session = {
  id: string;
  expires_at: string;
  organization: { id: string; name: string };
  member: Member | null;
  token_id: string | null;
  scope: "admin" | "write" | "read";
};
export type SignedIn = { session: Session; csrf_token: string };

export type Database = {
  id: string;
  name: string;
  state: "creating" | "ready" | "failed" | "deleting" | "deleted" | "undeleting";
  plan: string;
  template: string;
  worker_groups: number;
  replicas: number;
  settings: Record<string, unknown>;
  uri: string | null;
  error: string | null;
  parent_id: string | null;
  created_at: string | null;
  deleted_at: string | null;
  purge_after: string | null;
  storage_bytes: number | null;
  storage_limit_gb: number | null;
};

export type Step = { name: string; state: string; detail?: string; error?: string; started_at?: string; finished_at?: string };
export type Operation = {
  id: string;
  database_id: string | null;
  kind: string;
  state: "pending" | "running" | "succeeded" | "failed";
  steps: Step[];
  progress: number;
  attempt: number;
  error: string | null;
  args: Record<string, unknown>;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
};
export type DatabaseAndOperation = { database: Database; operation: Operation };

export type Plan = { name: string; description: string; limits: { databases: number | null; worker_groups: number; storage_gb: number | null } };
export type TemplateSummary = { name: string; description: string; has_sample_data: boolean };
export type Role = { id: string; name: string; created_at: string | null; password_changed_at: string | null; connection_uri: string | null };
export type RoleWithPassword = { role: Role; password: string; connection_uri: string };

export type Node = {
  node_id: number;
  host?: string;
  port?: number;
  group_id?: number;
  role: string;
  state: string;
  reachable?: boolean;
  in_recovery?: boolean;
  lag_bytes?: number | null;
  check_latency_ms?: number | null;
  error?: string | null;
};
export type Event = { event_id: number; happened_at?: string; kind: string; node_id?: number | null; group_id?: number | null; detail?: string | null };
export type Shard = { shard_id: number; table_name: string; hash_min: string; hash_max: string; group_id: number; size_bytes: number | null };
export type Table = {
  table_name: string;
  kind: "local" | "distributed" | "reference";
  distribution_column: string | null;
  colocation_id: number | null;
  shard_count: number;
  size_bytes: number;
  columns: string[];
  row_count?: number | null;
};
export type Metrics = {
  at: string;
  transactions_total: number;
  statement_time_ms_total: number;
  connections: number;
  active_connections: number;
  max_connections: number;
};
export type Backup = { group?: number; label?: string; kind?: string; status?: string; started_at?: string; finished_at?: string; size_bytes?: number; error?: string };
export type RestorePoint = { name: string; created_at?: string };

// A branch is a Database with parent_id set; these are the fields only branches fill.
export type Branch = Database & { branch_data: string | null; expires_at: string | null; updated_at: string | null };

export type DeployStatement = { sql: string; concurrently?: boolean; optional?: boolean };
export type DeployStep = {
  number: number;
  object: string;
  action: string;
  statements: DeployStatement[];
  revert: DeployStatement[];
  state?: string;
  started_at?: string;
  finished_at?: string;
  lock_retries?: number;
  error?: string;
  revert_notes?: string[];
};
export type LintFinding = {
  code: string;
  severity: "error" | "warning" | "info";
  object: string;
  message: string;
  why: string;
  what_to_do: string;
  lock_estimate_seconds: number | null;
};
export type Conflict = { object: string; message: string; what_to_do: string };
export type DeployRequest = {
  id: string;
  database_id: string;
  branch_id: string;
  branch: string | null;
  number: number;
  state: "open" | "queued" | "deploying" | "deployed" | "failed" | "reverting" | "reverted" | "closed";
  auto_apply: boolean;
  ddl: string | null;
  steps: DeployStep[];
  lint: LintFinding[];
  conflicts: Conflict[];
  deployable: boolean;
  parent_state: string | null;
  error: string | null;
  operation_id: string | null;
  created_at: string | null;
  deployed_at: string | null;
  revert_until: string | null;
  revert_seconds_left: number | null;
  closed_at: string | null;
};

export type InsightsPattern = {
  query_id: string;
  user_name?: string;
  query: string | null;
  calls: number;
  errors: number;
  total_ms: number;
  mean_ms: number | null;
  rows: number;
  ran_on: string | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  mean_shards: number | null;
  max_shards: number | null;
  top_tenants: string | null;
};
export type Tenant = { table_name: string; tenant: string; statements: number; total_ms: number; rows?: number; percent_of_statements: number };
export type Advice = { id: string; kind: string; table: string; title: string; evidence: Record<string, unknown>; statements: string[]; statement: string };
export type Insights = {
  window: string;
  window_seconds: number;
  history_since: string | null;
  statistics_since: string | null;
  last_snapshot_at: string | null;
  patterns: InsightsPattern[];
  tenants: Tenant[];
  advice: Advice[];
  dismissed_advice: Advice[];
  workers_unreachable?: number;
};
