-- bad_input: every misuse of the table functions is refused with a clear
-- error and changes nothing.
CREATE TABLE victim (id bigint PRIMARY KEY, label text, spot point, doc json, other int);
INSERT INTO victim SELECT g, 'l' || g, point(g, g), '{}', g FROM generate_series(1, 10) g;

SELECT shale.distribute_table('victim', 'nope');
SELECT shale.distribute_table('victim', 'spot');
SELECT shale.distribute_table('victim', 'doc');
SELECT shale.distribute_table('victim', 'label');
SELECT shale.distribute_table('victim', 'id', 0);
SELECT shale.distribute_table('victim', 'id', -5);
SELECT shale.distribute_table('victim', 'id', 1000000);
SELECT shale.distribute_table('victim', 'ctid');
SELECT shale.distribute_table(NULL, 'id');
SELECT shale.distribute_table('victim', NULL);
SELECT shale.distribute_table('victim', 'id', NULL);
SELECT shale.distribute_table('no_such_table', 'id');
SELECT shale.make_reference_table(NULL);
SELECT shale.undistribute_table('victim');
SELECT shale.shard_for('victim', 1);
SELECT shale.shard_for(NULL, 1);
SELECT shale.hash_value('(1,2)'::point);

-- distributing twice
CREATE TABLE twice (id bigint);
SELECT shale.distribute_table('twice', 'id', 4);
SELECT shale.distribute_table('twice', 'id', 4);
SELECT shale.make_reference_table('twice');
SELECT shale.shard_for('twice', NULL::bigint);
SELECT shale.shard_for('twice', 'not a number'::text);
-- co-location with another type, another shard count, or a non-distributed table
CREATE TABLE texty (k text);
SELECT shale.distribute_table('texty', 'k', colocate_with => 'twice');
SELECT shale.distribute_table('texty', 'k', colocate_with => 'victim');
CREATE TABLE other_count (id bigint);
SELECT shale.distribute_table('other_count', 'id', 8, colocate_with => 'twice');
-- unique constraints must include the distribution column
CREATE TABLE uniq (id bigint, email text UNIQUE);
SELECT shale.distribute_table('uniq', 'id');
CREATE TABLE uniq_index (id bigint, code text);
CREATE UNIQUE INDEX ON uniq_index (code);
SELECT shale.distribute_table('uniq_index', 'id');
-- kinds of tables that cannot be distributed
CREATE TABLE parted (id bigint) PARTITION BY HASH (id);
SELECT shale.distribute_table('parted', 'id');
CREATE VIEW a_view AS SELECT 1 AS id;
SELECT shale.distribute_table('a_view', 'id');
CREATE TEMP TABLE temporary_table (id bigint);
SELECT shale.distribute_table('temporary_table', 'id');
CREATE TABLE parent_table (id bigint PRIMARY KEY);
CREATE TABLE child_table (id bigint REFERENCES parent_table);
SELECT shale.distribute_table('child_table', 'id');
SELECT shale.distribute_table('parent_table', 'id');
SELECT shale.distribute_table('shale.node', 'node_id');
CREATE TABLE with_trigger (id bigint);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t BEFORE INSERT ON with_trigger FOR EACH ROW EXECUTE FUNCTION noop();
SELECT shale.distribute_table('with_trigger', 'id');
-- a NULL in the distribution column of a row already there
CREATE TABLE has_null (id bigint, v int);
INSERT INTO has_null VALUES (1, 1), (NULL, 2);
SELECT shale.distribute_table('has_null', 'id');
SELECT count(*) FROM has_null;

-- no worker groups registered: refused (the removal is rolled back)
DROP TABLE twice;
BEGIN;
SELECT count(*) AS removed FROM (SELECT shale.remove_node(node_id) FROM shale.nodes WHERE group_id > 0 ORDER BY role DESC) r;
SELECT shale.distribute_table('victim', 'id');
SELECT shale.make_reference_table('victim');
ROLLBACK;

-- nothing above left a trace
SELECT count(*) AS distributed_tables FROM shale.tables;
SELECT count(*) AS shards FROM shale.shard;
SELECT count(*), sum(other) FROM victim;
-- the catalog itself refuses shards that do not cover the hash space
CREATE TABLE covered (id bigint);
SELECT shale.distribute_table('covered', 'id', 2);
-- (shard ids vary between runs: show the SQLSTATE only)
\set VERBOSITY sqlstate
BEGIN;
DELETE FROM shale.shard WHERE shard_id = (SELECT min(shard_id) FROM shale.shard WHERE table_id = 'covered'::regclass);
COMMIT;
BEGIN;
UPDATE shale.shard SET hash_max = hash_max - 1 WHERE shard_id = (SELECT min(shard_id) FROM shale.shard WHERE table_id = 'covered'::regclass);
COMMIT;
\set VERBOSITY default
SELECT count(*) AS covered_shards FROM shale.shard WHERE table_id = 'covered'::regclass;
DROP TABLE covered, victim, texty, other_count, uniq, uniq_index, parted, parent_table, child_table, with_trigger, has_null;
DROP VIEW a_view;
DROP FUNCTION noop();

-- restore points: NULL, empty and too long names are refused before anything is written
SELECT * FROM shale.create_restore_point(NULL);
SELECT * FROM shale.create_restore_point('');
SELECT * FROM shale.create_restore_point(repeat('x', 64));
-- a good name marks the router and both worker groups
SELECT group_id, node IS NOT NULL AS has_node, lsn > '0/0' AS has_lsn
FROM shale.create_restore_point('regress_point') ORDER BY group_id;
-- only superusers may make one
CREATE ROLE point_maker;
SET ROLE point_maker;
SELECT * FROM shale.create_restore_point('not_allowed');
RESET ROLE;
DROP ROLE point_maker;
