-- one tenant's open tasks with their project: runs whole on one worker group
SELECT p.name AS project, t.title FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.id = t.project_id
 WHERE t.tenant_id = 7 AND NOT t.done ORDER BY t.id;
-- tenants per plan, joined with the reference table: every shard, then combined on the router
SELECT pl.name, count(*) FROM tenants te JOIN plans pl ON pl.code = te.plan_code GROUP BY pl.name;
