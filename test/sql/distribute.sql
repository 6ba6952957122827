-- distribute: distributed and reference tables, their shards, rows moved in
-- and out, co-location, hashing, and DROP TABLE.
CREATE SCHEMA app;
CREATE TABLE app.accounts (
    id bigint PRIMARY KEY,
    tenant_id bigint NOT NULL,
    balance bigint DEFAULT 0 CHECK (balance >= -1000),
    payload text,
    opened date DEFAULT '2024-01-01',
    doubled bigint GENERATED ALWAYS AS (balance * 2) STORED
);
CREATE INDEX accounts_tenant ON app.accounts (tenant_id) WHERE balance > 0;
CREATE UNIQUE INDEX accounts_lower_payload ON app.accounts (id, lower(payload) DESC NULLS LAST);
-- rows with awkward text: tabs, newlines, backslashes, NULLs, unicode
INSERT INTO app.accounts (id, tenant_id, balance, payload)
SELECT g, g % 7, g * 3, CASE WHEN g % 10 = 0 THEN NULL ELSE E'row\t' || g || E'\nline\\two é' END
FROM generate_series(1, 2000) g;
CREATE TABLE app.accounts_before AS SELECT * FROM app.accounts;

SELECT shale.distribute_table('app.accounts', 'id');
SELECT table_name, kind, distribution_column, shard_count FROM shale.tables;
-- shards cover the hash space in order, spread evenly over both groups
SELECT count(*) AS shards, min(hash_min) = -9223372036854775808 AS starts_at_min,
       max(hash_max) = 9223372036854775807 AS ends_at_max
FROM shale.shards WHERE table_name = 'app.accounts'::regclass;
SELECT group_id, count(*) FROM shale.shards WHERE table_name = 'app.accounts'::regclass GROUP BY 1 ORDER BY 1;
SELECT bool_and(size_bytes > 0) AS every_shard_has_a_size FROM shale.shards WHERE table_name = 'app.accounts'::regclass;
-- queries read the shards, never the router's empty shell
SELECT count(*) FROM ONLY app.accounts_before;
SELECT count(*) FROM app.accounts;
SELECT * FROM app.accounts WHERE id = 1;
INSERT INTO app.accounts (id, tenant_id) VALUES (5000, 1);
WITH x AS (SELECT id FROM app.accounts) SELECT count(*) FROM x;
SELECT (SELECT count(*) FROM app.accounts);
CREATE VIEW app.account_view AS SELECT id FROM app.accounts;
SELECT count(*) FROM app.account_view;
DELETE FROM app.accounts WHERE id = 5000;
SELECT count(*) FROM app.accounts;
-- utility statements Shale cannot carry to the shards yet are refused
ALTER TABLE app.accounts SET SCHEMA public;
CLUSTER app.accounts USING accounts_pkey;
CREATE TRIGGER t BEFORE UPDATE ON app.accounts FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
ALTER TABLE app.accounts ALTER COLUMN payload SET STORAGE external;
SELECT count(*) FROM app.accounts TABLESAMPLE BERNOULLI (10);

-- hashing is the type's extended hash with seed 0
SELECT shale.hash_value(42::bigint) = hashint8extended(42, 0) AS bigint_hash,
       shale.hash_value('hello'::text) = hashtextextended('hello', 0) AS text_hash,
       shale.hash_value('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid)
         = uuid_hash_extended('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 0) AS uuid_hash;
-- shard_for picks the shard whose range holds the hash, also for an int argument
SELECT shale.shard_for('app.accounts', 42) = (
    SELECT shard_id FROM shale.shards WHERE table_name = 'app.accounts'::regclass
    AND hashint8extended(42, 0) BETWEEN hash_min AND hash_max) AS shard_for_matches;
SELECT shale.shard_for('app.accounts', 42::bigint) = shale.shard_for('app.accounts', '42'::text) AS same_shard;

-- implicit co-location: same type and shard count
CREATE TABLE app.orders (account_id bigint, order_id bigint, total numeric, PRIMARY KEY (account_id, order_id));
SELECT shale.distribute_table('app.orders', 'account_id');
-- explicit co-location, and a table that is not co-located
CREATE TABLE app.payments (account_id bigint, amount numeric);
SELECT shale.distribute_table('app.payments', 'account_id', colocate_with => 'app.orders');
CREATE TABLE app.events (id bigint, kind text);
SELECT shale.distribute_table('app.events', 'id', 8);
SELECT table_name, shard_count,
       colocation_id = (SELECT colocation_id FROM shale.tables WHERE table_name = 'app.accounts'::regclass) AS with_accounts
FROM shale.tables ORDER BY table_name::text;
-- co-located shards share ranges and groups
SELECT count(*) AS mismatched_placements
FROM shale.shards a JOIN shale.shards o ON o.hash_min = a.hash_min AND o.table_name = 'app.orders'::regclass
WHERE a.table_name = 'app.accounts'::regclass AND a.group_id <> o.group_id;
SELECT (SELECT hash_min FROM shale.shard WHERE shard_id = shale.shard_for('app.orders', 42))
     = (SELECT hash_min FROM shale.shard WHERE shard_id = shale.shard_for('app.accounts', 42)) AS same_range_for_key;

-- a text key
CREATE TABLE app.users (email text PRIMARY KEY, name text);
INSERT INTO app.users SELECT 'user' || g || '@example.com', 'n' || g FROM generate_series(1, 100) g;
SELECT shale.distribute_table('app.users', 'email', 4);
SELECT shale.shard_for('app.users', 'user1@example.com'::text) = (
    SELECT shard_id FROM shale.shards WHERE table_name = 'app.users'::regclass
    AND hashtextextended('user1@example.com', 0) BETWEEN hash_min AND hash_max) AS text_shard_for_matches;

-- a reference table: one shard, a placement in every worker group
CREATE TABLE app.countries (code text PRIMARY KEY, name text NOT NULL);
INSERT INTO app.countries VALUES ('fr', 'France'), ('de', 'Germany'), ('jp', 'Japan');
SELECT shale.make_reference_table('app.countries');
SELECT kind, shard_count FROM shale.tables WHERE table_name = 'app.countries'::regclass;
SELECT count(*) AS placements, count(DISTINCT shard_id) AS shards
FROM shale.shards WHERE table_name = 'app.countries'::regclass;
SELECT shale.shard_for('app.countries', 'anything'::text) = (
    SELECT shard_id FROM shale.shards WHERE table_name = 'app.countries'::regclass LIMIT 1) AS reference_shard;
SELECT * FROM app.countries ORDER BY code;

-- rows come back exactly as they went out
SELECT shale.undistribute_table('app.accounts');
SELECT count(*) FROM app.accounts;
SELECT (SELECT count(*) FROM (SELECT * FROM app.accounts EXCEPT ALL SELECT * FROM app.accounts_before) d)
     + (SELECT count(*) FROM (SELECT * FROM app.accounts_before EXCEPT ALL SELECT * FROM app.accounts) d)
     AS rows_that_differ;
SELECT shale.undistribute_table('app.countries');
SELECT * FROM app.countries ORDER BY code;
SELECT table_name FROM shale.tables ORDER BY 1::text;
-- a table can be distributed again after coming back
SELECT shale.distribute_table('app.accounts', 'id', 4);
SELECT shard_count FROM shale.tables WHERE table_name = 'app.accounts'::regclass;

-- DROP TABLE removes the shards and the catalog rows, also through DROP SCHEMA
DROP TABLE app.events;
SELECT count(*) FROM shale.tables WHERE table_name::text LIKE '%events%';
DROP SCHEMA app CASCADE;
SELECT count(*) AS tables_left FROM shale.tables;
SELECT count(*) AS shards_left FROM shale.shard;
SELECT count(*) AS placements_left FROM shale.placement;
SELECT count(*) AS colocation_groups_left FROM shale.colocation_group;

-- tables that are not distributed behave as in plain PostgreSQL
CREATE TABLE plain (id int PRIMARY KEY, v text);
INSERT INTO plain VALUES (1, 'a'), (2, 'b');
UPDATE plain SET v = 'c' WHERE id = 2;
SELECT * FROM plain ORDER BY id;
ALTER TABLE plain ADD COLUMN w int DEFAULT 7;
COPY plain (id, v) FROM STDIN;
3	d
\.
TRUNCATE plain;
DROP TABLE plain;
