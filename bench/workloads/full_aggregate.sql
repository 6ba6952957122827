-- full-table count + sum over accounts; 2 clients
SELECT count(*), sum(balance) FROM accounts;
