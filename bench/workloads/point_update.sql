-- point update by distribution key (accounts.id); 8 clients
\set id random(1, :rows)
\set delta random(-100, 100)
UPDATE accounts SET balance = balance + :delta WHERE id = :id;
