-- two-row transfer transaction; 8 clients.
-- :a and :b are independent random ids, so they fall in different shards ~97% of
-- the time (32 shards) and on different worker groups ~50% of the time (2 groups,
-- 16 shards each). The rows are updated in id order (least first) so that two
-- concurrent transfers never deadlock, on either system.
\set x random(1, :rows)
\set y random(1, :rows)
\set a least(:x, :y)
\set b greatest(:x, :y)
BEGIN;
UPDATE accounts SET balance = balance + 1 WHERE id = :a;
UPDATE accounts SET balance = balance - 1 WHERE id = :b;
COMMIT;
