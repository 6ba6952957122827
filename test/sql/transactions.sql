-- transactions: savepoints, errors and isolation levels across worker groups
CREATE TABLE ledger (id bigint PRIMARY KEY, amount int CHECK (amount > -100));
SELECT shale.distribute_table('ledger', 'id', 8);
-- two keys on different worker groups
SELECT min(id) FILTER (WHERE g = 1) AS on_group1, min(id) FILTER (WHERE g = 2) AS on_group2
FROM (SELECT k AS id, p.group_id AS g FROM generate_series(1, 50) k
      JOIN shale.placement p ON p.shard_id = shale.shard_for('ledger', k)) keys \gset
-- ROLLBACK TO SAVEPOINT undoes the workers' part too
BEGIN;
INSERT INTO ledger VALUES (:on_group1, 1);
SAVEPOINT before_second;
INSERT INTO ledger VALUES (:on_group2, 2);
UPDATE ledger SET amount = amount + 10 WHERE id = :on_group1;
ROLLBACK TO SAVEPOINT before_second;
SELECT id = :on_group1 AS first_key, amount FROM ledger ORDER BY id;
INSERT INTO ledger VALUES (:on_group2, 3);
COMMIT;
SELECT id = :on_group1 AS first_key, amount FROM ledger ORDER BY id;
-- nested savepoints, released and rolled back
BEGIN;
SAVEPOINT a;
UPDATE ledger SET amount = 50 WHERE id = :on_group1;
SAVEPOINT b;
UPDATE ledger SET amount = 60 WHERE id = :on_group2;
RELEASE SAVEPOINT b;
ROLLBACK TO SAVEPOINT a;
UPDATE ledger SET amount = amount + 1;
COMMIT;
SELECT id = :on_group1 AS first_key, amount FROM ledger ORDER BY id;
-- an error on a worker inside a savepoint: roll back to it and go on
BEGIN;
UPDATE ledger SET amount = 7 WHERE id = :on_group1;
SAVEPOINT risky;
\set VERBOSITY sqlstate
UPDATE ledger SET amount = -500 WHERE id = :on_group2;
\set VERBOSITY default
ROLLBACK TO SAVEPOINT risky;
UPDATE ledger SET amount = 8 WHERE id = :on_group2;
COMMIT;
SELECT id = :on_group1 AS first_key, amount FROM ledger ORDER BY id;
-- PL/pgSQL exception blocks are subtransactions too
DO $$
BEGIN
    BEGIN
        INSERT INTO ledger VALUES (1000, 1);
        INSERT INTO ledger VALUES (1000, 1);
    EXCEPTION WHEN unique_violation THEN
        RAISE NOTICE 'duplicate rolled back';
    END;
    INSERT INTO ledger VALUES (1001, 1);
END
$$;
SELECT id, amount FROM ledger WHERE id >= 1000 ORDER BY id;
-- an error aborts the whole transaction on every group
BEGIN;
UPDATE ledger SET amount = 99 WHERE id = :on_group1;
\set VERBOSITY sqlstate
UPDATE ledger SET amount = -500 WHERE id = :on_group2;
\set VERBOSITY default
COMMIT;
SELECT id = :on_group1 AS first_key, amount FROM ledger WHERE id < 1000 ORDER BY id;
-- a new session's first statement may set the isolation level (Shale reads its
-- catalog only once a statement needs it, which takes a snapshot)
\c
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ledger;
COMMIT;
\c
BEGIN;
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ledger;
COMMIT;
-- isolation levels: REPEATABLE READ keeps one snapshot per group; SERIALIZABLE is refused
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ledger;
SELECT sum(amount) FROM ledger;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM ledger;
ROLLBACK;
-- PREPARE TRANSACTION of a transaction that used worker nodes is refused
BEGIN;
UPDATE ledger SET amount = 1 WHERE id = :on_group1;
PREPARE TRANSACTION 'mine';
DROP TABLE ledger;
