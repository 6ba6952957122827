INSERT INTO products SELECT g, 'SKU-' || g, 'product ' || g, (g * 3.5)::numeric(12, 2) FROM generate_series(1, 30) g;
INSERT INTO customers SELECT g, 'customer' || g || '@example.com', (ARRAY['FR', 'DE', 'US', 'JP'])[1 + g % 4]
  FROM generate_series(1, 40) g;
INSERT INTO orders (customer_id, id, placed_at) SELECT c, o, timestamptz '2026-01-01' + ((c * 5 + o) || ' hours')::interval
  FROM generate_series(1, 40) c, generate_series(1, 3) o;
INSERT INTO order_lines SELECT c, o, l, 1 + (c + o + l) % 30, 1 + l FROM generate_series(1, 40) c,
  generate_series(1, 3) o, generate_series(1, 2) l;
