SELECT shale.make_reference_table('plans');
SELECT shale.distribute_table('tenants', 'id', 8);
SELECT shale.distribute_table('users', 'tenant_id', 8, 'tenants');
SELECT shale.distribute_table('projects', 'tenant_id', 8, 'tenants');
SELECT shale.distribute_table('tasks', 'tenant_id', 8, 'tenants');
