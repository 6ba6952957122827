-- copy: COPY into and out of distributed and reference tables
CREATE TABLE loaded (id bigint PRIMARY KEY, name text, amount numeric DEFAULT 1.5, created date);
SELECT shale.distribute_table('loaded', 'id', 4);
COPY loaded (id, name, created) FROM STDIN;
1	one	2024-01-01
2	tab\there	2024-01-02
3	\N	\N
4	back\\slash	2024-01-04
\.
COPY loaded FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'none');
id,name,amount,created
10,"comma, quoted",2.25,2024-02-01
11,"say ""hi""",none,2024-02-02
12,none,3,none
\.
SELECT * FROM loaded ORDER BY id;
-- a load bigger than a batch: rows stream to the workers while the router reads on
COPY (SELECT g, 'row ' || g, g % 100, DATE '2024-01-01' + g % 300 FROM generate_series(1000, 120000) g)
    TO '/tmp/shale_regress_copy_big.csv' WITH (FORMAT csv);
COPY loaded FROM '/tmp/shale_regress_copy_big.csv' WITH (FORMAT csv);
SELECT count(*), sum(id), sum(amount) FROM loaded WHERE id >= 1000;
DELETE FROM loaded WHERE id >= 1000;
-- every row went to the shard its key hashes to
SELECT count(*) FROM loaded WHERE shale.shard_for('loaded', id) IS NULL;
-- a bad row fails the whole COPY, with its line number
COPY loaded (id, name) FROM STDIN;
20	fine
oops	bad
\.
-- a NULL distribution value, and a duplicate key from a worker
COPY loaded (id, name) FROM STDIN;
\N	no key
\.
\set VERBOSITY sqlstate
COPY loaded (id, name) FROM STDIN;
21	new
1	duplicate
\.
\set VERBOSITY default
SELECT count(*) AS rows_after_failures FROM loaded;
-- COPY TO reads the shards (one row, so the order is fixed)
CREATE TABLE single (id bigint, note text, doubled bigint GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO single (id, note) VALUES (7, E'tab\there');
SELECT shale.distribute_table('single', 'id');
COPY single TO STDOUT WITH (FORMAT csv);
COPY single (note, id) TO STDOUT;
COPY (SELECT id, name FROM loaded WHERE id > 10 ORDER BY id) TO STDOUT;
DROP TABLE single;
-- reference tables get every row in every copy
CREATE TABLE codes (code text PRIMARY KEY, label text);
SELECT shale.make_reference_table('codes');
COPY codes FROM STDIN WITH (FORMAT csv);
a,Alpha
b,Beta
\.
SELECT * FROM codes ORDER BY code;
DROP TABLE loaded, codes;
