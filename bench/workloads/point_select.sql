-- point select by distribution key (accounts.id); 8 clients
\set id random(1, :rows)
SELECT balance, payload FROM accounts WHERE id = :id;
