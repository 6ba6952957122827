// state_schema.cpp — the migrations of the state database. A released
// migration is never edited: a change is a new entry at the end of the list.
//
// Resource rows keep desired state and operations (DESIGN.md, "The platform
// around the clusters"); each database's own truth (nodes, shards, events,
// backups) stays in its cluster and is read from there.
#include "control_plane/state_schema.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace shale {

namespace {

// kMigrations[i] takes the schema from version i to version i + 1.
const std::vector<std::string> kMigrations = {
    // 1: organizations, tokens, databases, roles, operations, audit log, idempotency keys
    R"SQL(
CREATE SCHEMA control;
CREATE FUNCTION control.iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE TABLE control.organizations (
  id text PRIMARY KEY,
  name text NOT NULL,
  operator boolean NOT NULL DEFAULT false,   -- the installation's own organization
  limits jsonb NOT NULL DEFAULT '{}',        -- custom limits of the enterprise plan
  created_at timestamptz NOT NULL DEFAULT now());

CREATE TABLE control.tokens (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES control.organizations,
  name text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('admin', 'write', 'read')),
  token_hash text NOT NULL UNIQUE,            -- SHA-256 of the token; the token itself is never stored
  prefix text NOT NULL,                       -- first characters, to recognise a token in lists
  created_by text,                            -- token id, NULL for the first token
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz);

CREATE TABLE control.databases (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES control.organizations,
  name text NOT NULL,
  plan text NOT NULL,
  template text NOT NULL,
  worker_groups int NOT NULL,
  replicas int NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL CHECK (state IN ('creating', 'ready', 'failed', 'deleting', 'deleted', 'undeleting', 'purged')),
  parent_id text REFERENCES control.databases,   -- for branches (later)
  dir text NOT NULL,
  port_base int,
  port_count int,
  uri text,
  shaled_url text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  purge_after timestamptz);
CREATE UNIQUE INDEX databases_name ON control.databases (organization_id, name) WHERE state <> 'purged';
CREATE UNIQUE INDEX databases_ports ON control.databases (port_base) WHERE state <> 'purged';

CREATE TABLE control.roles (
  id text PRIMARY KEY,
  database_id text NOT NULL REFERENCES control.databases,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (database_id, name));

CREATE TABLE control.operations (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES control.organizations,
  database_id text REFERENCES control.databases,
  kind text NOT NULL CHECK (kind IN ('create', 'delete', 'undelete', 'purge')),
  state text NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed')),
  steps jsonb NOT NULL DEFAULT '[]',
  progress int NOT NULL DEFAULT 0,
  attempt int NOT NULL DEFAULT 0,
  runner_pid int,            -- the child process working on it (shale up), for clean-up after a crash
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz);
CREATE INDEX operations_open ON control.operations (state) WHERE state IN ('pending', 'running');

CREATE TABLE control.audit_log (
  id bigserial PRIMARY KEY,
  organization_id text NOT NULL REFERENCES control.organizations,
  token_id text,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text,
  remote_address text,
  details jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL DEFAULT now());
CREATE INDEX audit_log_organization ON control.audit_log (organization_id, id);

CREATE TABLE control.idempotency_keys (
  organization_id text NOT NULL REFERENCES control.organizations,
  key text NOT NULL,
  request_hash text NOT NULL,
  status int NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, key));
)SQL",
    // 2: 'start' operations: shale serve starts the stopped clusters of ready databases at its start
    R"SQL(
ALTER TABLE control.operations DROP CONSTRAINT operations_kind_check;
ALTER TABLE control.operations ADD CONSTRAINT operations_kind_check
  CHECK (kind IN ('create', 'delete', 'undelete', 'purge', 'start'));
)SQL",
    // 3: backups, restore points and restores through the API; operations carry their arguments
    R"SQL(
ALTER TABLE control.operations ADD COLUMN args jsonb NOT NULL DEFAULT '{}';
ALTER TABLE control.operations DROP CONSTRAINT operations_kind_check;
ALTER TABLE control.operations ADD CONSTRAINT operations_kind_check
  CHECK (kind IN ('create', 'delete', 'undelete', 'purge', 'start', 'backup', 'restore_point', 'restore'));
)SQL",
    // 4: storage of each database, measured by the storage monitor
    R"SQL(
ALTER TABLE control.databases ADD COLUMN storage_bytes bigint, ADD COLUMN storage_checked_at timestamptz;
-- the plans' limits as plans.cpp defines them, written at every start (for SQL that shows them)
CREATE TABLE control.plans (name text PRIMARY KEY, storage_gb int);
)SQL",
    // 5: branches (a database with a parent and branch_data) and deploy requests (issue 15)
    R"SQL(
ALTER TABLE control.databases ADD COLUMN branch_data text,   -- 'schema', 'latest', a restore point or a time
  ADD COLUMN expires_at timestamptz,                          -- a branch's TTL
  ADD COLUMN base_schema jsonb,                               -- the branch's schema snapshot when it was made
  ADD COLUMN parent_schema jsonb;                             -- its parent's snapshot at that moment
ALTER TABLE control.operations DROP CONSTRAINT operations_kind_check;
ALTER TABLE control.operations ADD CONSTRAINT operations_kind_check
  CHECK (kind IN ('create', 'delete', 'undelete', 'purge', 'start', 'backup', 'restore_point', 'restore',
                  'branch', 'reset', 'deploy', 'revert', 'deploy_cleanup'));
CREATE TABLE control.deploy_requests (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES control.organizations,
  database_id text NOT NULL REFERENCES control.databases,   -- the parent, where the change goes
  branch_id text NOT NULL REFERENCES control.databases,
  number int NOT NULL,
  state text NOT NULL CHECK (state IN ('open', 'queued', 'deploying', 'deployed', 'failed', 'reverting',
                                       'reverted', 'closed')),
  auto_apply boolean NOT NULL DEFAULT false,
  plan jsonb NOT NULL,                 -- steps, lint, conflicts, ddl
  kept jsonb NOT NULL DEFAULT '[]',    -- objects a deploy hid until the revert window closes
  parent_state text,                   -- after a deploy or revert: changed, unchanged, reverted, partly changed: ...
  error text,
  operation_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deployed_at timestamptz,
  revert_until timestamptz,
  kept_removed_at timestamptz,
  closed_at timestamptz,
  UNIQUE (database_id, number));
)SQL",
    // 6: portal users (members of one organization with a role), their sign-in sessions
    R"SQL(
CREATE TABLE control.users (
  id text PRIMARY KEY,
  email text NOT NULL UNIQUE,                 -- lower case
  name text NOT NULL DEFAULT '',
  password_hash text NOT NULL,                -- pbkdf2-sha256$iterations$salt$hash (password_hash.cpp)
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE control.members (
  user_id text PRIMARY KEY REFERENCES control.users ON DELETE CASCADE,
  organization_id text NOT NULL REFERENCES control.organizations,
  role text NOT NULL CHECK (role IN ('admin', 'developer', 'read-only')),
  created_at timestamptz NOT NULL DEFAULT now());
-- the token scope a member's role acts with: the API checks scopes only
CREATE FUNCTION control.member_scope(role text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE role WHEN 'admin' THEN 'admin' WHEN 'developer' THEN 'write' ELSE 'read' END $$;
CREATE TABLE control.sessions (
  id text PRIMARY KEY,
  session_hash text NOT NULL UNIQUE,          -- SHA-256 of the cookie's secret
  organization_id text NOT NULL REFERENCES control.organizations,
  user_id text REFERENCES control.users ON DELETE CASCADE,   -- signed in with a password
  token_id text REFERENCES control.tokens,                   -- or with an API token
  remote_address text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CHECK ((user_id IS NULL) <> (token_id IS NULL)));
ALTER TABLE control.audit_log ADD COLUMN user_id text;
)SQL",
};

void exec_or_throw(const PgConnection &connection, const std::string &sql, const std::string &what)
{
    PgResult result = connection.exec(sql);
    if (!result.ok())
        throw std::runtime_error(what + ": " + result.error_message());
}

}  // namespace

int migrate_state_schema(const PgConnection &connection)
{
    exec_or_throw(connection, "SELECT pg_advisory_lock(7415368100)", "cannot lock the state schema");
    exec_or_throw(connection,
                  "CREATE TABLE IF NOT EXISTS public.shale_serve_schema_version (version int NOT NULL);"
                  "INSERT INTO public.shale_serve_schema_version SELECT 0 "
                  "WHERE NOT EXISTS (SELECT FROM public.shale_serve_schema_version)",
                  "cannot create the schema version table");
    auto current = connection.query_value("SELECT version FROM public.shale_serve_schema_version");
    if (!current)
        throw std::runtime_error("cannot read the state schema version");
    int version = std::stoi(*current);
    if (version > static_cast<int>(kMigrations.size()))
        throw std::runtime_error("the state database has schema version " + std::to_string(version) +
                                 ", newer than this shale (" + std::to_string(kMigrations.size()) +
                                 "); run a newer shale serve");
    for (; version < static_cast<int>(kMigrations.size()); version++)
        exec_or_throw(connection,
                      "BEGIN;" + kMigrations[static_cast<size_t>(version)] +
                          ";UPDATE public.shale_serve_schema_version SET version = " + std::to_string(version + 1) +
                          ";COMMIT",
                      "migration " + std::to_string(version + 1) + " failed");
    exec_or_throw(connection, "SELECT pg_advisory_unlock(7415368100)", "cannot unlock the state schema");
    return version;
}

}  // namespace shale
