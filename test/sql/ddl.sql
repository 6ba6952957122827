-- ddl: DDL on distributed and reference tables reaches every shard
CREATE TABLE items (id bigint PRIMARY KEY, v int, note text);
INSERT INTO items SELECT g, g, 'n' || g FROM generate_series(1, 100) g;
SELECT shale.distribute_table('items', 'id', 4);
-- ADD COLUMN with a default fills the rows already in the shards
ALTER TABLE items ADD COLUMN extra int DEFAULT 7;
SELECT count(*), sum(extra) FROM items;
-- NOT NULL and CHECK constraints are enforced by every shard
ALTER TABLE items ALTER COLUMN v SET NOT NULL;
\set VERBOSITY sqlstate
INSERT INTO items (id, v) VALUES (1000, NULL);
ALTER TABLE items ADD CONSTRAINT v_positive CHECK (v > 0);
INSERT INTO items (id, v) VALUES (1000, -1);
ALTER TABLE items DROP CONSTRAINT v_positive;
INSERT INTO items (id, v) VALUES (1000, -1);
\set VERBOSITY default
-- columns renamed, retyped and dropped on every shard
ALTER TABLE items RENAME COLUMN note TO remark;
SELECT remark FROM items WHERE id = 5;
ALTER TABLE items ALTER COLUMN v TYPE bigint;
SELECT pg_typeof(v) FROM items WHERE id = 5;
ALTER TABLE items DROP COLUMN extra;
SELECT * FROM items WHERE id = 6;
-- defaults live on the router, which evaluates them
ALTER TABLE items ALTER COLUMN remark SET DEFAULT 'default remark';
INSERT INTO items (id, v) VALUES (1001, 1) RETURNING remark;
-- indexes and unique constraints, named per shard
CREATE INDEX items_v ON items (v);
CREATE INDEX ON items (lower(remark));
CREATE UNIQUE INDEX items_id_v ON items (id, v);
ALTER TABLE items ADD CONSTRAINT items_pair UNIQUE (id, remark);
\set VERBOSITY sqlstate
INSERT INTO items (id, v, remark) VALUES (5, 5, 'n5');
\set VERBOSITY default
ALTER TABLE items DROP CONSTRAINT items_pair;
DROP INDEX items_v;
-- refused: they would break the distribution
CREATE UNIQUE INDEX items_v_unique ON items (v);
ALTER TABLE items ADD CONSTRAINT v_unique UNIQUE (v);
ALTER TABLE items ALTER COLUMN id TYPE int;
ALTER TABLE items DROP COLUMN id;
CREATE INDEX CONCURRENTLY ON items (remark);
-- a named index can be built concurrently, shard after shard
CREATE INDEX CONCURRENTLY items_remark ON items (remark);
DROP INDEX items_remark;
ALTER TABLE items ADD COLUMN other_id bigint REFERENCES items (id);
-- RENAME TO renames the shards; TRUNCATE empties them
ALTER TABLE items RENAME TO things;
SELECT count(*) FROM things;
SELECT count(*) FROM shale.tables WHERE table_name = 'things'::regclass;
TRUNCATE things;
SELECT count(*) FROM things;
INSERT INTO things (id, v) VALUES (1, 1);
SELECT id, v, remark FROM things;
-- ANALYZE runs on the shards and gives the router their row count
INSERT INTO things (id, v) SELECT g, g FROM generate_series(2, 50) g;
ANALYZE things;
VACUUM things;
SELECT reltuples FROM pg_class WHERE oid = 'things'::regclass;
DELETE FROM things WHERE id > 1;
-- a failed DDL leaves every shard as it was (one transaction)
BEGIN;
ALTER TABLE things ADD COLUMN temporary int;
SELECT count(*) FROM things;
ROLLBACK;
SELECT * FROM things;
-- foreign keys: to a co-located table on the distribution column, and to a reference table
CREATE TABLE parents (id bigint PRIMARY KEY);
INSERT INTO parents SELECT generate_series(1, 10);
SELECT shale.distribute_table('parents', 'id', 4);
CREATE TABLE children (parent_id bigint, kind text, n int);
SELECT shale.distribute_table('children', 'parent_id', colocate_with => 'parents');
CREATE TABLE child_kinds (code text PRIMARY KEY);
INSERT INTO child_kinds VALUES ('a'), ('b');
SELECT shale.make_reference_table('child_kinds');
ALTER TABLE children ADD CONSTRAINT children_parent FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE;
ALTER TABLE children ADD CONSTRAINT children_kind FOREIGN KEY (kind) REFERENCES child_kinds (code);
INSERT INTO children VALUES (1, 'a', 1), (2, 'b', 2);
-- (worker ports vary: messages only)
\set VERBOSITY terse
INSERT INTO children VALUES (99, 'a', 3);
INSERT INTO children VALUES (3, 'zzz', 4);
\set VERBOSITY default
DELETE FROM parents WHERE id = 1;
SELECT parent_id, kind FROM children ORDER BY parent_id;
ALTER TABLE children ADD CONSTRAINT children_n FOREIGN KEY (n) REFERENCES parents (id);
CREATE TABLE elsewhere (id bigint PRIMARY KEY);
SELECT shale.distribute_table('elsewhere', 'id', 8);
ALTER TABLE children ADD CONSTRAINT children_elsewhere FOREIGN KEY (parent_id) REFERENCES elsewhere (id);
ALTER TABLE children DROP CONSTRAINT children_parent;
INSERT INTO children VALUES (99, 'a', 3);
DELETE FROM children WHERE parent_id = 99;
-- an unnamed foreign key (and no referenced columns: the primary key) gets PostgreSQL's name on every shard
ALTER TABLE children ADD FOREIGN KEY (parent_id) REFERENCES parents;
\set VERBOSITY terse
INSERT INTO children VALUES (98, 'a', 5);
\set VERBOSITY default
-- unnamed UNIQUE and PRIMARY KEY constraints too
CREATE TABLE unnamed_keys (id bigint NOT NULL, v int);
SELECT shale.distribute_table('unnamed_keys', 'id', 4);
ALTER TABLE unnamed_keys ADD PRIMARY KEY (id), ADD UNIQUE (id, v);
INSERT INTO unnamed_keys VALUES (1, 1);
\set VERBOSITY sqlstate
INSERT INTO unnamed_keys VALUES (1, 2);
\set VERBOSITY default
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'unnamed_keys'::regclass ORDER BY conname;
-- a key added NOT VALID, then validated (the way to add one to a big table without a long lock)
ALTER TABLE children ADD CONSTRAINT children_kind_later FOREIGN KEY (kind) REFERENCES child_kinds (code) NOT VALID;
ALTER TABLE children VALIDATE CONSTRAINT children_kind_later;
SELECT conname, convalidated FROM pg_constraint WHERE conname = 'children_kind_later';
-- a table distributed with foreign keys keeps them on its shards
CREATE TABLE grandchildren (parent_id bigint, kind text REFERENCES child_kinds (code),
                            FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE);
SELECT shale.distribute_table('grandchildren', 'parent_id', colocate_with => 'parents');
INSERT INTO grandchildren VALUES (2, 'a'), (3, 'b');
\set VERBOSITY terse
INSERT INTO grandchildren VALUES (97, 'a');
INSERT INTO grandchildren VALUES (4, 'zzz');
\set VERBOSITY default
DELETE FROM parents WHERE id = 3;
SELECT * FROM grandchildren ORDER BY parent_id;
-- ... a self-reference on the distribution column too
CREATE TABLE tree (tenant bigint, id int, parent int, PRIMARY KEY (tenant, id),
                   FOREIGN KEY (tenant, parent) REFERENCES tree (tenant, id));
INSERT INTO tree VALUES (1, 1, NULL), (1, 2, 1), (2, 1, NULL);
SELECT shale.distribute_table('tree', 'tenant', 4);
\set VERBOSITY terse
INSERT INTO tree VALUES (2, 2, 5);
\set VERBOSITY default
INSERT INTO tree VALUES (2, 2, 1);
SELECT count(*) FROM tree;
-- ... but not a key its shards could not check
CREATE TABLE stray_children (parent_id bigint REFERENCES elsewhere (id));
SELECT shale.distribute_table('stray_children', 'parent_id', colocate_with => 'parents');
SELECT shale.distribute_table('stray_children', 'parent_id', 4);
SELECT shale.make_reference_table('stray_children');
DROP TABLE stray_children;
-- a table on the router may reference a distributed table only while it is empty (deletes of the
-- referenced rows happen on the workers): writes into it are refused until it is distributed
CREATE TABLE local_child (parent_id bigint REFERENCES parents (id));
INSERT INTO local_child VALUES (2);
COPY local_child FROM STDIN;
2
\.
SELECT shale.distribute_table('local_child', 'parent_id', colocate_with => 'parents');
INSERT INTO local_child VALUES (2);
CREATE TABLE local_rows (parent_id bigint, kind text);
INSERT INTO local_rows VALUES (2, 'a');
ALTER TABLE local_rows ADD FOREIGN KEY (kind) REFERENCES child_kinds (code);
DROP TABLE local_child, local_rows;
-- undistributing a table with foreign keys is refused (its rows would be checked against empty router copies)
SELECT shale.undistribute_table('grandchildren');
SELECT shale.undistribute_table('parents');
DROP TABLE tree, grandchildren, unnamed_keys, children, parents, child_kinds, elsewhere;
-- reference tables
CREATE TABLE kinds (code text PRIMARY KEY);
SELECT shale.make_reference_table('kinds');
ALTER TABLE kinds ADD COLUMN label text DEFAULT 'none';
INSERT INTO kinds (code) VALUES ('a');
SELECT * FROM kinds;
DROP TABLE things, kinds;
