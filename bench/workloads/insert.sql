-- single-row insert into events (distributed by tenant_id); 8 clients.
-- events has no unique key, so random values never conflict.
\set tenant random(1, :tenants)
\set id random(1, 1000000000)
\set amount random(1, 10000)
INSERT INTO events (tenant_id, id, kind, amount, created_at) VALUES (:tenant, :id, 'bench', :amount, now());
