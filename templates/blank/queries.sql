CREATE TABLE accounts (id bigint PRIMARY KEY, owner text, balance numeric DEFAULT 0);
SELECT shale.distribute_table('accounts', 'id');
INSERT INTO accounts VALUES (1, 'alice', 100);
SELECT * FROM accounts WHERE id = 1;  -- runs on one shard
