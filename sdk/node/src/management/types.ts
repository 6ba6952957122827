// types.ts — the API's objects as docs/control-plane-openapi.json describes them
// (the fields a program uses; the answers carry the rest too).

export type Json = Record<string, unknown>;

export interface Database extends Json {
  id: string;
  name: string;
  state: "creating" | "ready" | "failed" | "deleting" | "deleted" | "undeleting";
  plan: string;
  template: string;
  worker_groups: number;
  replicas: number;
  settings: Json;
  uri: string | null;
  error: string | null;
  parent_id: string | null;
  branch_data?: string | null;
}

export interface Operation extends Json {
  id: string;
  database_id: string | null;
  kind: string;
  state: "pending" | "running" | "succeeded" | "failed";
  steps: Array<{ name: string; state: string; detail?: string }>;
  progress: number;
  attempt: number;
  error: string | null;
  args: Json;
}

export interface DatabaseAndOperation {
  database: Database;
  operation: Operation;
}

export interface Role extends Json {
  id: string;
  name: string;
  /** Without the password. */
  connection_uri?: string | null;
}

/** The answer of create and reset: the only time the password is shown. */
export interface RoleWithPassword {
  role: Role;
  password: string;
  connection_uri: string;
}

export interface DeployRequest extends Json {
  id: string;
  database_id: string;
  branch_id: string;
  number: number;
  state: string;
  ddl: string | null;
  deployable: boolean;
  operation_id: string | null;
}

export interface CaCertificate {
  ca_certificate: string;
  sslmode: string;
  hint: string;
}
