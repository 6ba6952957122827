INSERT INTO plans VALUES ('free', 'Free', 3), ('team', 'Team', 50);
INSERT INTO tenants (id, name, plan_code) SELECT g, 'tenant ' || g, CASE WHEN g % 3 = 0 THEN 'team' ELSE 'free' END
  FROM generate_series(1, 20) g;
INSERT INTO users (tenant_id, id, email) SELECT t, u, 'user' || u || '@tenant' || t || '.example'
  FROM generate_series(1, 20) t, generate_series(1, 3) u;
INSERT INTO projects (tenant_id, id, name) SELECT t, p, 'project ' || p FROM generate_series(1, 20) t, generate_series(1, 2) p;
INSERT INTO tasks (tenant_id, id, project_id, title, done, assignee_id)
  SELECT t, k, 1 + k % 2, 'task ' || k, k % 4 = 0, 1 + k % 3 FROM generate_series(1, 20) t, generate_series(1, 10) k;
