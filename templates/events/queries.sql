-- one device's last 10 events: one shard
SELECT occurred_at, type_code, payload FROM events WHERE device_id = 42 ORDER BY occurred_at DESC LIMIT 10;
-- alerts per hour over every device: partial aggregation on the workers
SELECT date_trunc('hour', occurred_at) AS hour, count(*) FROM events WHERE type_code = 'alert' GROUP BY 1 ORDER BY 1;
