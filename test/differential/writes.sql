-- Write scenarios of the differential test (see README.md).
--
-- Each scenario starts with `-- scenario: NAME`, then options:
--   -- tables: a, b      tables it changes: they are recreated with the seed data in both
--                        schemas first, and every row is compared at the end
--   -- check: SQL        replaces the default whole-table checksum (repeatable)
-- then statements, each ending with ';' at the end of a line.  Every statement runs on
-- plain and on dist; status (row counts) and RETURNING rows must be the same, a statement
-- that fails on plain must fail on dist too.  {s} is the schema.

------------------------------------------------------------------------------
-- INSERT
------------------------------------------------------------------------------

-- scenario: ins_single_row
-- tables: accounts
INSERT INTO {s}.accounts VALUES (5000, 1, 100, 'new one', '2024-01-01 10:00:00+02', '{"tier": 1}');

-- scenario: ins_multi_row_shards
-- tables: accounts
INSERT INTO {s}.accounts(id, tenant_id, balance, name) VALUES
  (5001, 1, -5, 'a'), (5002, 2, NULL, ''), (-5003, NULL, 7, 'ñ'), (5004, 4, 0, NULL),
  (5005, 5, 9223372036854775807, 'max'), (-9223372036854775808, 6, -9223372036854775808, 'min');

-- scenario: ins_returning
-- tables: accounts
INSERT INTO {s}.accounts(id, name, created_at, flags) VALUES
  (6001, 'r1', '2024-06-01 00:00:00+00', '{"x": [1, 2]}'), (6002, 'Zoë r2', NULL, NULL), (-6003, '', '1999-12-31 23:59:59.999999-08', '{}')
RETURNING id, name, created_at, flags, balance IS NULL AS no_balance;

-- scenario: ins_on_conflict_do_nothing
-- tables: accounts
INSERT INTO {s}.accounts(id, name) VALUES (1, 'dup'), (6101, 'fresh'), (-50, 'dup2'), (6102, 'fresh2')
ON CONFLICT DO NOTHING RETURNING id, name;

-- scenario: ins_on_conflict_do_update
-- tables: accounts
INSERT INTO {s}.accounts AS a (id, balance, name) VALUES (2, 1000, 'upd'), (6201, 5, 'new'), (3, -1000, 'upd3')
ON CONFLICT (id) DO UPDATE SET balance = coalesce(a.balance, 0) + EXCLUDED.balance, name = a.name || '+' || EXCLUDED.name
RETURNING id, balance, name;

-- scenario: ins_on_conflict_update_where
-- tables: accounts
INSERT INTO {s}.accounts AS a (id, balance) SELECT g, 1 FROM generate_series(1, 40) g
ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance WHERE a.balance > 0;

-- scenario: ins_on_conflict_text_key
-- tables: users
INSERT INTO {s}.users VALUES ('user1@example.com', 'ZZ', 99, 1.5), ('brand@new.example', 'US', 20, -0.25), ('', 'EMPTY', NULL, NULL)
ON CONFLICT (email) DO UPDATE SET country = EXCLUDED.country, age = EXCLUDED.age
RETURNING *;

-- scenario: ins_select_colocated
-- tables: accounts, orders
INSERT INTO {s}.orders SELECT id, 10, balance / 100.0, 'bulk' FROM {s}.accounts WHERE id % 10 = 0;

-- scenario: ins_select_non_colocated
-- tables: orders, events
INSERT INTO {s}.orders(account_id, order_id, amount, status)
SELECT DISTINCT account_id, 20, NULL::numeric, 'from events' FROM {s}.events WHERE account_id IS NOT NULL AND kind = 'buy';

-- scenario: ins_select_reference
-- tables: users, countries
INSERT INTO {s}.users(email, country, age) SELECT lower(code) || '@countries.example', code, length(name) FROM {s}.countries;

-- scenario: ins_select_local
-- tables: accounts
INSERT INTO {s}.accounts(id, name) SELECT DISTINCT account_id + 10000, 'from local' FROM {s}.local_notes RETURNING id;

-- scenario: ins_select_same_table
-- tables: events
INSERT INTO {s}.events SELECT id + 5000, account_id, kind || '2', amount * 2 FROM {s}.events WHERE kind = 'buy';

-- scenario: ins_uuid_key_rows
-- tables: sessions
INSERT INTO {s}.sessions SELECT md5('new' || g)::uuid, 'user' || g || '@example.com', timestamp '2025-01-01' + g * interval '1 hour', g * interval '1 second'
FROM generate_series(1, 50) g;

-- scenario: ins_defaults_serial
-- tables: tickets
-- check: SELECT count(*), count(DISTINCT id), count(id) FROM {s}.tickets
-- check: SELECT md5(string_agg((t.account_id, t.note, t.created, t.qty)::text, ',' ORDER BY (t.account_id, t.note, t.created, t.qty)::text)) FROM {s}.tickets t
INSERT INTO {s}.tickets(account_id) VALUES (1), (2), (300);
INSERT INTO {s}.tickets(account_id, note, qty) VALUES (5, DEFAULT, 7), (-5, 'x', DEFAULT);

-- scenario: ins_serial_bulk
-- tables: tickets
-- check: SELECT count(*), count(DISTINCT id), count(id), min(id) > 0 FROM {s}.tickets
-- check: SELECT md5(string_agg((t.account_id, t.note, t.created, t.qty)::text, ',' ORDER BY (t.account_id, t.note, t.created, t.qty)::text)) FROM {s}.tickets t
INSERT INTO {s}.tickets(account_id, note, qty) SELECT g, 'bulk', g FROM generate_series(1, 200) g;

-- scenario: ins_serial_returning
-- tables: tickets
-- check: SELECT count(*), count(DISTINCT id) FROM {s}.tickets
-- check: SELECT md5(string_agg((t.account_id, t.note, t.created, t.qty)::text, ',' ORDER BY (t.account_id, t.note, t.created, t.qty)::text)) FROM {s}.tickets t
INSERT INTO {s}.tickets(account_id, note) VALUES (10, 'r'), (11, 'r'), (12, NULL)
RETURNING account_id, note, created, qty, id IS NOT NULL AS has_id;

-- scenario: ins_null_dist_key_pk
-- tables: accounts
INSERT INTO {s}.accounts(id, name) VALUES (NULL, 'no key');

-- scenario: ins_null_dist_key_no_pk
-- tables: events
INSERT INTO {s}.events VALUES (NULL, 1, 'null key', 1);

-- scenario: ins_prepared_generic
-- tables: accounts
PREPARE diff_ins(bigint, text) AS INSERT INTO {s}.accounts(id, name) VALUES ($1, $2);
EXECUTE diff_ins(7001, 'p1');
EXECUTE diff_ins(-7002, 'p2');
EXECUTE diff_ins(7003, 'p3');
EXECUTE diff_ins(7004, 'p4');
EXECUTE diff_ins(7005, 'p5');
EXECUTE diff_ins(7006, 'p6');
EXECUTE diff_ins(7007, 'p7');
DEALLOCATE diff_ins;

------------------------------------------------------------------------------
-- UPDATE
------------------------------------------------------------------------------

-- scenario: upd_by_key
-- tables: accounts
UPDATE {s}.accounts SET balance = balance + 1 WHERE id = 10;

-- scenario: upd_by_filter_multi_shard
-- tables: accounts
UPDATE {s}.accounts SET name = upper(name), tenant_id = tenant_id * 10 WHERE tenant_id = 3;

-- scenario: upd_returning
-- tables: orders
UPDATE {s}.orders SET status = 'refunded' WHERE amount < -190 RETURNING account_id, order_id, status, amount;

-- scenario: upd_subquery
-- tables: accounts, orders
UPDATE {s}.accounts SET balance = 0 WHERE id IN (SELECT account_id FROM {s}.orders WHERE status = 'cancelled' AND amount > 100);

-- scenario: upd_from_colocated
-- tables: accounts, orders
UPDATE {s}.accounts a SET balance = o.amount::bigint FROM {s}.orders o WHERE o.account_id = a.id AND o.order_id = 1 AND a.id < 100;

-- scenario: upd_scalar_subquery_reference
-- tables: users, countries
UPDATE {s}.users u SET country = (SELECT region FROM {s}.countries c WHERE c.code = u.country) WHERE age > 70;

-- scenario: upd_distribution_column
-- tables: accounts
UPDATE {s}.accounts SET id = id + 100000 WHERE id = 5;

-- scenario: upd_jsonb
-- tables: accounts
UPDATE {s}.accounts SET flags = flags || '{"touched": true}' WHERE flags ? 'beta' RETURNING id, flags;

-- scenario: upd_text_key_table
-- tables: users
UPDATE {s}.users SET score = score * 2, age = age + 1 WHERE country = 'FR';

-- scenario: upd_uuid_key
-- tables: sessions
UPDATE {s}.sessions SET duration = duration + interval '1 hour' WHERE id = md5('5')::uuid RETURNING *;

-- scenario: upd_set_null
-- tables: accounts
UPDATE {s}.accounts SET name = NULL, flags = NULL WHERE id % 100 = 1;

-- scenario: upd_prepared_generic
-- tables: accounts
PREPARE diff_upd(bigint) AS UPDATE {s}.accounts SET balance = coalesce(balance, 0) - 1 WHERE id = $1;
EXECUTE diff_upd(1);
EXECUTE diff_upd(2);
EXECUTE diff_upd(3);
EXECUTE diff_upd(-4);
EXECUTE diff_upd(5);
EXECUTE diff_upd(6);
EXECUTE diff_upd(123456);
DEALLOCATE diff_upd;

------------------------------------------------------------------------------
-- DELETE
------------------------------------------------------------------------------

-- scenario: del_by_key
-- tables: accounts
DELETE FROM {s}.accounts WHERE id = 3;

-- scenario: del_by_filter
-- tables: orders
DELETE FROM {s}.orders WHERE status IS NULL;

-- scenario: del_returning
-- tables: events
DELETE FROM {s}.events WHERE kind = 'refund' AND amount > 600 RETURNING *;

-- scenario: del_using_colocated
-- tables: accounts, orders
DELETE FROM {s}.orders o USING {s}.accounts a WHERE a.id = o.account_id AND a.balance < -9000;

-- scenario: del_not_exists_colocated
-- tables: accounts, orders
DELETE FROM {s}.accounts a WHERE NOT EXISTS (SELECT 1 FROM {s}.orders o WHERE o.account_id = a.id);

-- scenario: del_text_key
-- tables: users
DELETE FROM {s}.users WHERE email IN ('', 'user1@example.com', 'Ünïcode10@exämple.org') RETURNING email;

-- scenario: del_reference_join
-- tables: users, countries
DELETE FROM {s}.users u USING {s}.countries c WHERE c.code = u.country AND c.region = 'Asia';

-- scenario: del_all_then_insert
-- tables: events
DELETE FROM {s}.events;
INSERT INTO {s}.events VALUES (1, 1, 'a', 1), (2, 2, 'b', NULL), (2, NULL, NULL, 3);

------------------------------------------------------------------------------
-- reference table writes, CTEs
------------------------------------------------------------------------------

-- scenario: reference_writes
-- tables: countries
UPDATE {s}.countries SET region = 'Oceania' WHERE code = 'AQ';
INSERT INTO {s}.countries VALUES ('AU', 'Australia', 'Oceania');
DELETE FROM {s}.countries WHERE code = 'ZZ' RETURNING *;

-- scenario: cte_delete_insert
-- tables: orders, events
WITH moved AS (DELETE FROM {s}.orders WHERE status = 'cancelled' RETURNING *)
INSERT INTO {s}.events SELECT order_id, account_id, 'moved', amount::int FROM moved;

------------------------------------------------------------------------------
-- transactions and atomicity
------------------------------------------------------------------------------

-- scenario: tx_commit_across_shards
-- tables: accounts, orders, events
BEGIN;
INSERT INTO {s}.accounts(id, name) VALUES (9001, 'tx'), (-9002, 'tx');
UPDATE {s}.orders SET status = 'tx' WHERE account_id IN (1, 2, 1000);
DELETE FROM {s}.events WHERE id < 20;
COMMIT;

-- scenario: tx_rollback
-- tables: accounts, orders, events
BEGIN;
INSERT INTO {s}.accounts(id, name) VALUES (9101, 'gone'), (-9102, 'gone');
UPDATE {s}.orders SET amount = 0 WHERE account_id < 500;
DELETE FROM {s}.events;
ROLLBACK;

-- scenario: tx_read_own_writes
-- tables: accounts
BEGIN;
INSERT INTO {s}.accounts(id, balance, name) VALUES (9201, 1, 'mine'), (9202, 2, 'mine');
SELECT id, balance, name FROM {s}.accounts WHERE id = 9201;
UPDATE {s}.accounts SET balance = balance * 10 WHERE name = 'mine' RETURNING id, balance;
SELECT count(*), sum(balance) FROM {s}.accounts;
DELETE FROM {s}.accounts WHERE id = 9202;
SELECT count(*) FROM {s}.accounts WHERE name = 'mine';
COMMIT;

-- scenario: tx_multi_table_commit
-- tables: users, sessions, countries
BEGIN;
INSERT INTO {s}.users VALUES ('tx@example.com', 'AU', 33, 3.25);
INSERT INTO {s}.sessions VALUES (md5('tx')::uuid, 'tx@example.com', '2025-05-05 05:05:05', '5 minutes');
INSERT INTO {s}.countries VALUES ('AU', 'Australia', 'Oceania');
COMMIT;

-- scenario: tx_error_then_commit
-- tables: accounts
BEGIN;
INSERT INTO {s}.accounts(id, name) VALUES (9301, 'before error');
INSERT INTO {s}.accounts(id, name) VALUES (1, 'duplicate');
COMMIT;

-- scenario: atomic_multi_row_unique_violation
-- tables: accounts
INSERT INTO {s}.accounts(id, name) VALUES (8000, 'a'), (8001, 'b'), (-8003, 'c'), (1, 'dup'), (8002, 'd');

-- scenario: atomic_insert_select_violation
-- tables: accounts, orders
INSERT INTO {s}.accounts(id) SELECT account_id + 3000 FROM {s}.orders;

-- scenario: atomic_update_overflow
-- tables: orders
UPDATE {s}.orders SET amount = amount * 100000000 WHERE amount IS NOT NULL;

-- scenario: atomic_update_unique_violation
-- tables: orders
UPDATE {s}.orders SET order_id = 1 WHERE account_id BETWEEN 1 AND 300;

------------------------------------------------------------------------------
-- Multi-shard writes that read co-located tables (joined on the key) — and
-- ones that may not run shard by shard (they must be refused, never wrong)
------------------------------------------------------------------------------

-- scenario: upd_correlated_subquery_colocated
-- tables: accounts, orders
UPDATE {s}.accounts a SET balance = (SELECT count(*) FROM {s}.orders o WHERE o.account_id = a.id) WHERE a.id % 3 = 0;

-- scenario: del_self_join_on_key
-- tables: accounts
DELETE FROM {s}.accounts a USING {s}.accounts b WHERE a.id = b.id AND b.balance < 0;

-- scenario: upd_in_grouped_subquery
-- tables: accounts, orders
UPDATE {s}.accounts SET balance = -1 WHERE id IN (SELECT account_id FROM {s}.orders GROUP BY account_id HAVING count(*) > 1);

-- scenario: upd_uncorrelated_aggregate
-- tables: accounts, orders
UPDATE {s}.accounts SET balance = (SELECT count(*) FROM {s}.orders) WHERE id < 50;

-- scenario: del_in_non_key_subquery
-- tables: accounts
DELETE FROM {s}.accounts WHERE id IN (SELECT tenant_id FROM {s}.accounts WHERE tenant_id IS NOT NULL);
