-- union_all: UNION ALL subqueries and views over distributed tables. Each
-- branch gets its own remote scan; aggregation over the union is split into
-- partial aggregates per branch; branches pinned to one shard of one
-- co-location run whole on one worker. The answers are checked against the
-- same rows in local tables (the differential suite covers many more shapes).
\set VERBOSITY default
-- EXPLAIN with the parts that change from run to run (ports, shard ids) masked
CREATE FUNCTION explain_stable(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || statement LOOP
    RETURN NEXT regexp_replace(regexp_replace(line, 'Node: \S+', 'Node: <node>'), 'Shard: \d+', 'Shard: <shard>');
  END LOOP;
END $$;
CREATE TABLE ua (id bigint PRIMARY KEY, v int);
CREATE TABLE ub (id bigint PRIMARY KEY, v bigint, note text);
CREATE TABLE uc (id bigint, amount numeric(10,2));
CREATE TABLE ucountry (code text PRIMARY KEY, name text);
INSERT INTO ua SELECT g, g % 10 FROM generate_series(1, 1000) g;
INSERT INTO ub SELECT g, g % 7, CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 500) g;
INSERT INTO uc SELECT g % 300, (g % 97)::numeric / 4 FROM generate_series(1, 600) g;
INSERT INTO ucountry VALUES ('DE', 'Germany'), ('FR', 'France');
CREATE TABLE la AS SELECT * FROM ua;
CREATE TABLE lb AS SELECT * FROM ub;
SELECT shale.distribute_table('ua', 'id');
SELECT shale.distribute_table('ub', 'id', colocate_with => 'ua');
SELECT shale.distribute_table('uc', 'id', shard_count => 8);
SELECT shale.make_reference_table('ucountry');

-- the statements of the report, with the answers of local tables beside them
SELECT count(*), sum(v) FROM (SELECT v FROM ua UNION ALL SELECT v FROM ub) s;
SELECT count(*), sum(v) FROM (SELECT v FROM la UNION ALL SELECT v FROM lb) s;
SELECT v, count(*) FROM (SELECT v FROM ua UNION ALL SELECT v FROM ub) s GROUP BY v ORDER BY 2 DESC, 1 LIMIT 2;
SELECT v, count(*) FROM (SELECT v FROM la UNION ALL SELECT v FROM lb) s GROUP BY v ORDER BY 2 DESC, 1 LIMIT 2;
SELECT count(*) FROM (SELECT id FROM ua UNION ALL SELECT id FROM ub) s JOIN ua USING (id);
SELECT count(*) FROM (SELECT id FROM la UNION ALL SELECT id FROM lb) s JOIN la USING (id);

-- aggregation over the union: partial aggregates in each branch's fragment
-- (v is int in ua and bigint in ub: ua's branch is converted to bigint)
EXPLAIN (COSTS OFF) SELECT count(*), sum(v) FROM (SELECT v FROM ua UNION ALL SELECT v FROM ub) s;
EXPLAIN (COSTS OFF)
SELECT v, count(*) FROM (SELECT v FROM ua UNION ALL SELECT v FROM ub WHERE id > 3) s WHERE v < 5 GROUP BY v;

-- a UNION ALL view with a filter on top: the filter reaches every branch
CREATE VIEW ledger AS
  SELECT id, v::numeric AS amount, 'a' AS src FROM ua
  UNION ALL SELECT id, v, 'b' FROM ub
  UNION ALL SELECT id, amount, 'c' FROM uc;
EXPLAIN (COSTS OFF) SELECT src, sum(amount) FROM ledger WHERE id < 100 GROUP BY src;
SELECT src, sum(amount), count(*) FROM ledger WHERE id < 100 GROUP BY src ORDER BY src;
SELECT * FROM ledger WHERE id = 7 ORDER BY src;

-- every branch pinned to the same shard of one co-location: one worker runs it all
SELECT explain_stable('SELECT * FROM (SELECT id, v FROM ua WHERE id = 5 UNION ALL SELECT id, v FROM ub WHERE id = 5) s');
SELECT * FROM (SELECT id, v FROM ua WHERE id = 5 UNION ALL SELECT id, v FROM ub WHERE id = 5) s ORDER BY v;

-- branches of other kinds beside a distributed table: a local table, a
-- reference table, VALUES and a function
EXPLAIN (COSTS OFF)
SELECT count(*) FROM (SELECT v FROM ua UNION ALL SELECT v FROM la UNION ALL VALUES (3) UNION ALL SELECT generate_series(1, 3)) s;
SELECT count(*) FROM (SELECT v FROM ua UNION ALL SELECT v FROM la UNION ALL VALUES (3) UNION ALL SELECT generate_series(1, 3)) s;
SELECT count(*), min(code) FROM (SELECT note AS code FROM ub UNION ALL SELECT code FROM ucountry) s;

-- ORDER BY, LIMIT and window functions over the union run on the router
SELECT id, v, row_number() OVER (ORDER BY v DESC, id) FROM
  (SELECT id, v FROM ua WHERE id <= 3 UNION ALL SELECT id, v FROM ub WHERE id <= 2) s ORDER BY 3;

DROP VIEW ledger;
DROP FUNCTION explain_stable(text);
DROP TABLE ua, ub, uc, ucountry, la, lb;
