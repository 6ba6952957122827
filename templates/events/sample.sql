INSERT INTO event_types VALUES ('boot', 'device started'), ('reading', 'sensor reading'), ('alert', 'threshold passed');
INSERT INTO devices SELECT g, 1 + g % 5, 'device ' || g FROM generate_series(1, 50) g;
INSERT INTO events SELECT d, timestamptz '2026-01-01' + (n || ' minutes')::interval, n,
       CASE WHEN n = 1 THEN 'boot' WHEN n % 25 = 0 THEN 'alert' ELSE 'reading' END,
       jsonb_build_object('value', (d * 7 + n * 13) % 100)
  FROM generate_series(1, 50) d, generate_series(1, 40) n;
