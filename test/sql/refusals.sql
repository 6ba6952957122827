-- refusals: every error the planner and executor raise for a statement they
-- cannot run names what the user wrote and carries a HINT. (Errors that only a
-- concurrent change of the catalog or a bug can cause are not reachable here.)
\set VERBOSITY default
CREATE TABLE rf (id bigint PRIMARY KEY, v int, note text);
CREATE TABLE rf_other (id bigint PRIMARY KEY, w int);
CREATE TABLE rf_ref (code text PRIMARY KEY, label text);
CREATE TABLE rf_local (id bigint, v int);
SELECT shale.distribute_table('rf', 'id');
SELECT shale.distribute_table('rf_other', 'id', shard_count => 8);
SELECT shale.make_reference_table('rf_ref');
INSERT INTO rf SELECT g, g, 'n' || g FROM generate_series(1, 20) g;
INSERT INTO rf_local VALUES (1, 10), (2, 20);

-- writes
UPDATE rf SET id = id + 1 WHERE id = 3;
INSERT INTO rf VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET id = 5;
INSERT INTO rf (v) VALUES (1);
INSERT INTO rf VALUES (NULL, 1);
ALTER TABLE rf ADD CONSTRAINT rf_positive CHECK (v > 0);
INSERT INTO rf VALUES (1, 1) ON CONFLICT ON CONSTRAINT rf_positive DO NOTHING;
UPDATE rf_ref SET label = random()::text;
UPDATE rf SET v = l.v FROM rf_local l WHERE l.id = rf.id;
UPDATE rf SET v = (SELECT max(w) FROM rf_other);
WITH d AS (DELETE FROM rf WHERE id = 1 RETURNING *) INSERT INTO rf SELECT id + 100, v, note FROM d;
WITH d AS (DELETE FROM rf WHERE v > 3 RETURNING *) SELECT count(*) FROM d;
WITH d AS (DELETE FROM rf_local RETURNING *) INSERT INTO rf_local SELECT d.id, d.v FROM d JOIN rf USING (id);
MERGE INTO rf USING rf_local l ON rf.id = l.id WHEN MATCHED THEN UPDATE SET v = l.v;

-- reads
SELECT * FROM rf WHERE v > 3 ORDER BY id LIMIT 2 FOR UPDATE;
SELECT * FROM rf JOIN rf_other USING (id) WHERE v > 3 FOR UPDATE OF rf;
SELECT count(*) FROM (SELECT * FROM rf WHERE v > 3 FOR SHARE) locked;
CREATE FUNCTION rf_check(int) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN $1 > 0; END $$;
SELECT * FROM rf WHERE v > 3 AND rf_check(v) FOR UPDATE;
SELECT ctid, id FROM rf WHERE v > 3;
SELECT count(*) FROM rf TABLESAMPLE SYSTEM (50);
SELECT * FROM shale.remote_rows(0) AS r(x int);

-- misuse of the aggregate helpers
SELECT shale.partial_aggregate(0::oid, v) FROM rf_local;
SELECT shale.partial_aggregate('array_agg(anynonarray)'::regprocedure::oid, v) FROM rf_local;

-- nothing above changed a row
SELECT count(*), sum(v) FROM rf;
DROP TABLE rf, rf_other, rf_ref, rf_local;
DROP FUNCTION rf_check(int);
