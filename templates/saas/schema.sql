-- saas: every table carries tenant_id and is distributed by it (co-located)
CREATE TABLE plans (code text PRIMARY KEY, name text NOT NULL, max_users int NOT NULL);
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, plan_code text NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE users (tenant_id bigint NOT NULL, id bigint NOT NULL, email text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, email));
CREATE TABLE projects (tenant_id bigint NOT NULL, id bigint NOT NULL, name text NOT NULL,
                       PRIMARY KEY (tenant_id, id));
CREATE TABLE tasks (tenant_id bigint NOT NULL, id bigint NOT NULL, project_id bigint NOT NULL,
                    title text NOT NULL, done boolean NOT NULL DEFAULT false, assignee_id bigint,
                    PRIMARY KEY (tenant_id, id));
CREATE INDEX tasks_project ON tasks (tenant_id, project_id);
