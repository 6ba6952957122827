-- group-by top-10 over events (grouped by the distribution column); 2 clients
SELECT tenant_id, count(*), sum(amount) AS total FROM events GROUP BY tenant_id ORDER BY total DESC, tenant_id LIMIT 10;
