-- Read corpus of the differential test (see README.md).
--
-- Each case starts with `-- query: NAME` (or `-- prepared: NAME`), then options:
--   -- ordered       the query's top-level ORDER BY makes the order total: compare as lists
--                    (without it, results are compared as multisets)
--   -- error         the query fails on plain PostgreSQL too; dist must fail as well
--   -- types: T,...  (prepared) parameter types for PREPARE
--   -- args: A ; B   (prepared) argument lists for EXECUTE, used in turn over 7 executions
-- {s} is replaced by the schema: plain or dist.

------------------------------------------------------------------------------
-- point lookups and ranges, every key type
------------------------------------------------------------------------------

-- query: acc_point_eq
SELECT * FROM {s}.accounts WHERE id = 42;

-- query: acc_point_negative
SELECT * FROM {s}.accounts WHERE id = -17;

-- query: acc_point_zero
SELECT id, balance, name FROM {s}.accounts WHERE id = 0;

-- query: acc_point_missing
SELECT * FROM {s}.accounts WHERE id = 999999;

-- query: acc_in_list
SELECT id, tenant_id, balance FROM {s}.accounts WHERE id IN (1, 2, 3, 500, 1500, -50, 7777);

-- query: acc_any_array
SELECT id, name FROM {s}.accounts WHERE id = ANY(ARRAY[5, 10, 15, 1000, -3]::bigint[]);

-- query: acc_any_empty_array
SELECT count(*) FROM {s}.accounts WHERE id = ANY('{}'::bigint[]);

-- query: acc_range_between
-- ordered
SELECT id, balance FROM {s}.accounts WHERE id BETWEEN 100 AND 140 ORDER BY id;

-- query: acc_range_open
SELECT count(*), sum(balance) FROM {s}.accounts WHERE id > 1900;

-- query: acc_range_negative
-- ordered
SELECT id, name, created_at FROM {s}.accounts WHERE id < -40 ORDER BY id DESC;

-- query: acc_key_or
SELECT id FROM {s}.accounts WHERE id = 7 OR id = 8 OR balance = 123456;

-- query: acc_key_and_filter
SELECT * FROM {s}.accounts WHERE id = 77 AND balance > 0;

-- query: acc_key_contradiction
SELECT * FROM {s}.accounts WHERE id = 1 AND id = 2;

-- query: acc_key_expression
SELECT id FROM {s}.accounts WHERE id + 0 = 33;

-- query: acc_key_cast_text
SELECT id, name FROM {s}.accounts WHERE id::text = '123';

-- query: acc_key_is_null
SELECT * FROM {s}.accounts WHERE id IS NULL;

-- query: orders_point_account
-- ordered
SELECT * FROM {s}.orders WHERE account_id = 10 ORDER BY order_id;

-- query: orders_point_pk
SELECT * FROM {s}.orders WHERE account_id = 11 AND order_id = 2;

-- query: orders_account_in
SELECT account_id, count(*), sum(amount) FROM {s}.orders WHERE account_id IN (1, 2, 3, 2040) GROUP BY account_id;

-- query: users_point_email
SELECT * FROM {s}.users WHERE email = 'user5@example.com';

-- query: users_point_unicode
SELECT * FROM {s}.users WHERE email = 'Ünïcode30@exämple.org';

-- query: users_point_empty_string
SELECT * FROM {s}.users WHERE email = '';

-- query: users_in_list
SELECT email, age FROM {s}.users WHERE email IN ('user1@example.com', 'user2@example.com', 'Ünïcode10@exämple.org', 'nobody@x');

-- query: users_any_array
SELECT email, country FROM {s}.users WHERE email = ANY(ARRAY['user7@example.com', 'user700@example.com', '']);

-- query: users_range_text
-- ordered
SELECT email FROM {s}.users WHERE email >= 'user99' AND email < 'user991' ORDER BY email;

-- query: users_like_prefix
SELECT count(*) FROM {s}.users WHERE email LIKE 'user1%';

-- query: users_ilike_unicode
SELECT email FROM {s}.users WHERE email ILIKE '%ÜNÏCODE1%';

-- query: sessions_point_uuid
SELECT * FROM {s}.sessions WHERE id = md5('42')::uuid;

-- query: sessions_point_uuid_literal
SELECT id, user_email FROM {s}.sessions WHERE id = 'a87ff679-a2f3-e71d-9181-a67b7542122c';

-- query: sessions_in_uuid
SELECT id, started_at FROM {s}.sessions WHERE id IN (md5('1')::uuid, md5('2')::uuid, md5('3')::uuid, md5('99999')::uuid);

-- query: sessions_any_uuid
SELECT count(*) FROM {s}.sessions WHERE id = ANY(ARRAY(SELECT md5(g::text)::uuid FROM generate_series(10, 30) g));

-- query: sessions_uuid_range
SELECT count(*) FROM {s}.sessions WHERE id < '40000000-0000-0000-0000-000000000000';

-- query: events_point_duplicate_key
SELECT * FROM {s}.events WHERE id = 100;

-- query: events_in
SELECT id, kind, amount FROM {s}.events WHERE id IN (0, 1, 1500, 3000);

-- query: countries_point
SELECT * FROM {s}.countries WHERE code = 'JP';

-- query: countries_all
TABLE {s}.countries;

------------------------------------------------------------------------------
-- filters on non-key columns, NULL handling
------------------------------------------------------------------------------

-- query: acc_filter_balance
SELECT id, balance FROM {s}.accounts WHERE balance BETWEEN -100 AND 100;

-- query: acc_filter_tenant
SELECT count(*), min(id), max(id) FROM {s}.accounts WHERE tenant_id = 3;

-- query: acc_balance_is_null
SELECT id FROM {s}.accounts WHERE balance IS NULL;

-- query: acc_name_is_not_null_empty
SELECT id, name FROM {s}.accounts WHERE name IS NOT NULL AND name = '';

-- query: acc_coalesce
SELECT id, coalesce(balance, -1) AS b, coalesce(name, '<none>') AS n FROM {s}.accounts WHERE id % 50 = 0;

-- query: acc_nullif
SELECT id, nullif(tenant_id, 0) AS t, nullif(name, '') AS n FROM {s}.accounts WHERE id BETWEEN -5 AND 25;

-- query: acc_is_distinct_from
SELECT count(*) FROM {s}.accounts WHERE tenant_id IS DISTINCT FROM 4;

-- query: acc_not_in_with_null
SELECT count(*) FROM {s}.accounts WHERE tenant_id NOT IN (1, 2, NULL);

-- query: acc_unicode_name
SELECT id, name, length(name), octet_length(name) FROM {s}.accounts WHERE name LIKE 'Zoë%';

-- query: users_score_filter
SELECT email, score FROM {s}.users WHERE score > 100.5;

-- query: users_country_null
SELECT count(*) FROM {s}.users WHERE country IS NULL;

-- query: sessions_null_started
SELECT id, user_email FROM {s}.sessions WHERE started_at IS NULL;

-- query: sessions_interval_filter
SELECT count(*) FROM {s}.sessions WHERE duration > interval '1 day 30 minutes';

-- query: sessions_timestamp_range
SELECT id FROM {s}.sessions WHERE started_at >= '2024-02-29' AND started_at < '2024-03-01';

-- query: orders_status_empty
SELECT count(*) FROM {s}.orders WHERE status = '';

-- query: orders_amount_negative
SELECT account_id, order_id, amount FROM {s}.orders WHERE amount < -199;

-- query: events_null_account
SELECT count(*), count(account_id), count(amount) FROM {s}.events WHERE account_id IS NULL OR amount IS NULL;

-- query: where_no_rows
SELECT * FROM {s}.accounts WHERE balance > 1000000;

-- query: where_false
SELECT * FROM {s}.orders WHERE false;

------------------------------------------------------------------------------
-- aggregates
------------------------------------------------------------------------------

-- query: agg_count_star
SELECT count(*) FROM {s}.accounts;

-- query: agg_count_all_tables
SELECT (SELECT count(*) FROM {s}.accounts) AS a, (SELECT count(*) FROM {s}.orders) AS o,
       (SELECT count(*) FROM {s}.users) AS u, (SELECT count(*) FROM {s}.sessions) AS s,
       (SELECT count(*) FROM {s}.events) AS e, (SELECT count(*) FROM {s}.countries) AS c;

-- query: agg_count_columns
SELECT count(balance), count(name), count(flags), count(created_at) FROM {s}.accounts;

-- query: agg_count_distinct
SELECT count(DISTINCT tenant_id), count(DISTINCT name), count(DISTINCT balance) FROM {s}.accounts;

-- query: agg_sum_avg_bigint
SELECT sum(balance), avg(balance), min(balance), max(balance) FROM {s}.accounts;

-- query: agg_numeric
SELECT sum(amount), avg(amount), min(amount), max(amount), count(amount) FROM {s}.orders;

-- query: agg_float
SELECT sum(score), avg(score), min(score), max(score) FROM {s}.users;

-- query: agg_stddev_variance
SELECT stddev(balance), variance(balance), stddev_pop(balance), var_samp(balance) FROM {s}.accounts;

-- query: agg_stddev_float
SELECT stddev(score), variance(score) FROM {s}.users;

-- query: agg_stddev_numeric
SELECT stddev(amount), var_pop(amount) FROM {s}.orders;

-- query: agg_bool
SELECT bool_and(balance > -10000), bool_or(balance > 9990), every(id > -100) FROM {s}.accounts;

-- query: agg_bool_jsonb
SELECT bool_or((flags ->> 'vip')::boolean), bool_and((flags ->> 'tier')::int < 4) FROM {s}.accounts;

-- query: agg_array_agg_ordered
SELECT array_agg(id ORDER BY id) FROM {s}.accounts WHERE tenant_id = 7 AND id < 300;

-- query: agg_array_agg_ordered_desc_nulls
SELECT array_agg(balance ORDER BY balance DESC NULLS FIRST, id) FROM {s}.accounts WHERE id BETWEEN 0 AND 60;

-- query: agg_string_agg_ordered
SELECT string_agg(name, '|' ORDER BY name, id) FROM {s}.accounts WHERE id BETWEEN 1 AND 80;

-- query: agg_string_agg_users
SELECT string_agg(email, ',' ORDER BY email) FROM {s}.users WHERE age = 30;

-- query: agg_jsonb_agg
SELECT jsonb_agg(flags ORDER BY id) FROM {s}.accounts WHERE id BETWEEN 1 AND 20;

-- query: agg_jsonb_object_agg
SELECT jsonb_object_agg(code, name) FROM {s}.countries;

-- query: agg_min_max_text_uuid
SELECT min(email), max(email), min(country) FROM {s}.users;

-- query: agg_min_max_uuid
SELECT min(id::text), max(id::text), min(started_at), max(started_at), sum(duration), avg(duration) FROM {s}.sessions;

-- query: agg_min_max_timestamptz
SELECT min(created_at), max(created_at) FROM {s}.accounts;

-- query: agg_filter_clause
SELECT count(*) FILTER (WHERE balance > 0), sum(balance) FILTER (WHERE tenant_id = 2) FROM {s}.accounts;

-- query: agg_on_empty
SELECT count(*), sum(balance), avg(balance), max(name), array_agg(id), bool_and(true) FROM {s}.accounts WHERE id > 100000;

-- query: agg_percentile
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY balance), percentile_disc(0.9) WITHIN GROUP (ORDER BY balance) FROM {s}.accounts;

-- query: agg_mode
SELECT mode() WITHIN GROUP (ORDER BY status) FROM {s}.orders WHERE status IS NOT NULL AND status <> 'new';

-- query: agg_sum_int_overflow_safe
SELECT sum(amount::bigint * 1000000000) FROM {s}.events;

------------------------------------------------------------------------------
-- GROUP BY, HAVING, grouping sets
------------------------------------------------------------------------------

-- query: group_by_key
SELECT account_id, count(*), sum(amount) FROM {s}.orders GROUP BY account_id;

-- query: group_by_non_key
SELECT tenant_id, count(*), sum(balance), avg(balance) FROM {s}.accounts GROUP BY tenant_id;

-- query: group_by_expression
SELECT id % 7 AS bucket, count(*), max(balance) FROM {s}.accounts GROUP BY id % 7;

-- query: group_by_text
SELECT country, count(*), avg(age), sum(score) FROM {s}.users GROUP BY country;

-- query: group_by_status
SELECT status, count(*), sum(amount), min(amount) FROM {s}.orders GROUP BY status;

-- query: group_by_two_columns
SELECT tenant_id, balance > 0 AS positive, count(*) FROM {s}.accounts GROUP BY 1, 2;

-- query: group_by_jsonb_field
SELECT flags ->> 'tier' AS tier, count(*) FROM {s}.accounts GROUP BY flags ->> 'tier';

-- query: group_by_date_trunc
SELECT date_trunc('month', created_at) AS m, count(*), sum(balance) FROM {s}.accounts GROUP BY 1;

-- query: group_by_having
SELECT tenant_id, count(*) FROM {s}.accounts GROUP BY tenant_id HAVING count(*) > 195;

-- query: group_by_having_sum
SELECT account_id, sum(amount) FROM {s}.orders GROUP BY account_id HAVING sum(amount) > 350;

-- query: group_by_having_no_group
SELECT count(*) FROM {s}.accounts HAVING count(*) > 0;

-- query: group_by_user_sessions
SELECT user_email, count(*), sum(duration) FROM {s}.sessions GROUP BY user_email HAVING count(*) >= 4;

-- query: group_by_events_kind
SELECT kind, count(*), count(DISTINCT id), sum(amount) FROM {s}.events GROUP BY kind;

-- query: grouping_sets
SELECT tenant_id, balance > 0 AS pos, count(*), sum(balance)
FROM {s}.accounts GROUP BY GROUPING SETS ((tenant_id), (balance > 0), ());

-- query: rollup
SELECT status, account_id % 3 AS m, count(*), sum(amount), grouping(status, account_id % 3)
FROM {s}.orders GROUP BY ROLLUP (status, account_id % 3);

-- query: cube
SELECT country, age / 20 AS decade, count(*) FROM {s}.users GROUP BY CUBE (country, age / 20);

-- query: group_by_order_limit
-- ordered
SELECT tenant_id, count(*) AS n FROM {s}.accounts GROUP BY tenant_id ORDER BY n DESC, tenant_id NULLS FIRST LIMIT 5;

------------------------------------------------------------------------------
-- ORDER BY, LIMIT, OFFSET, DISTINCT
------------------------------------------------------------------------------

-- query: order_limit
-- ordered
SELECT id, balance FROM {s}.accounts ORDER BY balance DESC NULLS LAST, id LIMIT 10;

-- query: order_limit_offset
-- ordered
SELECT id, name FROM {s}.accounts ORDER BY name, id LIMIT 15 OFFSET 40;

-- query: order_offset_only
-- ordered
SELECT id FROM {s}.accounts ORDER BY id OFFSET 1990;

-- query: order_nulls_first
-- ordered
SELECT id, tenant_id FROM {s}.accounts WHERE id < 60 ORDER BY tenant_id NULLS FIRST, id DESC;

-- query: order_text_key
-- ordered
SELECT email, age FROM {s}.users ORDER BY email LIMIT 20;

-- query: order_unicode_text
-- ordered
SELECT email FROM {s}.users WHERE email LIKE 'Ü%' ORDER BY email DESC LIMIT 10;

-- query: order_uuid
-- ordered
SELECT id, user_email FROM {s}.sessions ORDER BY id LIMIT 12;

-- query: order_numeric_ties
-- ordered
SELECT account_id, order_id, amount FROM {s}.orders ORDER BY amount NULLS FIRST, account_id, order_id LIMIT 25;

-- query: order_expression
-- ordered
SELECT id, balance FROM {s}.accounts WHERE balance IS NOT NULL ORDER BY abs(balance), id LIMIT 10;

-- query: order_float
-- ordered
SELECT email, score FROM {s}.users WHERE score IS NOT NULL ORDER BY score DESC, email LIMIT 10;

-- query: order_interval
-- ordered
SELECT id, duration FROM {s}.sessions WHERE duration IS NOT NULL ORDER BY duration DESC, id LIMIT 10;

-- query: order_limit_zero
SELECT * FROM {s}.accounts ORDER BY id LIMIT 0;

-- query: order_limit_all
-- ordered
SELECT id FROM {s}.events WHERE id < 10 ORDER BY id, account_id NULLS LAST, amount NULLS LAST, kind LIMIT ALL;

-- query: limit_in_count_subquery
SELECT count(*) FROM (SELECT * FROM {s}.accounts LIMIT 100) sub;

-- query: limit_in_count_subquery_large
SELECT count(*) FROM (SELECT account_id FROM {s}.orders LIMIT 100000) sub;

-- query: fetch_first_with_ties
-- ordered
SELECT tenant_id, id FROM {s}.accounts WHERE tenant_id IS NOT NULL ORDER BY tenant_id, id FETCH FIRST 7 ROWS ONLY;

-- query: distinct_column
SELECT DISTINCT tenant_id FROM {s}.accounts;

-- query: distinct_multi
SELECT DISTINCT status, account_id % 2 FROM {s}.orders;

-- query: distinct_key
SELECT DISTINCT id FROM {s}.events WHERE id < 50;

-- query: distinct_on
-- ordered
SELECT DISTINCT ON (tenant_id) tenant_id, id, balance FROM {s}.accounts ORDER BY tenant_id, balance DESC NULLS LAST, id;

-- query: distinct_on_key
-- ordered
SELECT DISTINCT ON (account_id) account_id, order_id, amount FROM {s}.orders WHERE account_id < 30 ORDER BY account_id, amount NULLS LAST, order_id;

-- query: distinct_count_subquery
SELECT count(*) FROM (SELECT DISTINCT country, age FROM {s}.users) d;

------------------------------------------------------------------------------
-- window functions
------------------------------------------------------------------------------

-- query: window_row_number_by_key
SELECT account_id, order_id, row_number() OVER (PARTITION BY account_id ORDER BY order_id) FROM {s}.orders WHERE account_id < 100;

-- query: window_rank_non_key
SELECT id, tenant_id, rank() OVER (PARTITION BY tenant_id ORDER BY balance DESC NULLS LAST) FROM {s}.accounts;

-- query: window_global_row_number
SELECT id, row_number() OVER (ORDER BY id) FROM {s}.accounts;

-- query: window_lag_lead
SELECT id, balance, lag(balance) OVER (ORDER BY id), lead(id, 2) OVER (ORDER BY id) FROM {s}.accounts WHERE id < 100;

-- query: window_sum_running
SELECT account_id, order_id, sum(amount) OVER (PARTITION BY account_id ORDER BY order_id) FROM {s}.orders;

-- query: window_sum_whole
SELECT id, balance, sum(balance) OVER () AS total, count(*) OVER () AS n FROM {s}.accounts WHERE tenant_id = 5;

-- query: window_dense_rank_text
SELECT email, country, dense_rank() OVER (PARTITION BY country ORDER BY age NULLS FIRST) FROM {s}.users;

-- query: window_on_aggregate
SELECT tenant_id, count(*), rank() OVER (ORDER BY count(*) DESC) FROM {s}.accounts GROUP BY tenant_id;

-- query: window_ntile_uuid
SELECT id, ntile(4) OVER (ORDER BY id) FROM {s}.sessions;

-- query: window_first_value
SELECT DISTINCT kind, first_value(id) OVER (PARTITION BY kind ORDER BY id, account_id NULLS FIRST, amount NULLS FIRST) FROM {s}.events;

-- query: window_filter_top_n_per_group
-- ordered
SELECT * FROM (SELECT tenant_id, id, balance, row_number() OVER (PARTITION BY tenant_id ORDER BY balance DESC NULLS LAST, id) AS rn
               FROM {s}.accounts) x WHERE rn <= 2 ORDER BY tenant_id NULLS LAST, rn;

------------------------------------------------------------------------------
-- set operations
------------------------------------------------------------------------------

-- query: union_dist_dist
SELECT id FROM {s}.accounts WHERE id < 20 UNION SELECT account_id FROM {s}.orders WHERE account_id < 25;

-- query: union_all_dist_dist
SELECT id, 'a' AS src FROM {s}.accounts WHERE id % 100 = 0 UNION ALL SELECT account_id, 'o' FROM {s}.orders WHERE account_id % 100 = 0;

-- query: intersect_dist
SELECT id FROM {s}.accounts INTERSECT SELECT account_id FROM {s}.orders;

-- query: except_dist
SELECT id FROM {s}.accounts EXCEPT SELECT account_id FROM {s}.orders;

-- query: except_all_events
SELECT id FROM {s}.events EXCEPT ALL SELECT id FROM {s}.accounts;

-- query: union_dist_reference
SELECT country FROM {s}.users UNION SELECT code FROM {s}.countries;

-- query: intersect_dist_reference
SELECT country FROM {s}.users INTERSECT SELECT code FROM {s}.countries;

-- query: except_reference_dist
SELECT code FROM {s}.countries EXCEPT SELECT country FROM {s}.users;

-- query: union_count_wrapped
SELECT count(*) FROM (SELECT user_email FROM {s}.sessions UNION SELECT email FROM {s}.users) u;

-- query: union_order_limit
-- ordered
(SELECT id FROM {s}.accounts WHERE id < 10) UNION (SELECT id FROM {s}.events WHERE id < 12) ORDER BY id DESC LIMIT 8;

------------------------------------------------------------------------------
-- subqueries
------------------------------------------------------------------------------

-- query: subquery_in_from
SELECT t, n FROM (SELECT tenant_id AS t, count(*) AS n FROM {s}.accounts GROUP BY tenant_id) s WHERE n > 190;

-- query: subquery_in_where_in
SELECT count(*) FROM {s}.accounts WHERE id IN (SELECT account_id FROM {s}.orders WHERE status = 'paid');

-- query: subquery_not_in
SELECT count(*) FROM {s}.accounts WHERE id NOT IN (SELECT account_id FROM {s}.orders);

-- query: subquery_exists_correlated
SELECT count(*) FROM {s}.accounts a WHERE EXISTS (SELECT 1 FROM {s}.orders o WHERE o.account_id = a.id AND o.amount > 100);

-- query: subquery_not_exists_correlated
SELECT id FROM {s}.accounts a WHERE NOT EXISTS (SELECT 1 FROM {s}.orders o WHERE o.account_id = a.id);

-- query: subquery_scalar_in_select
SELECT id, (SELECT count(*) FROM {s}.orders o WHERE o.account_id = a.id) AS n FROM {s}.accounts a WHERE id BETWEEN 30 AND 50;

-- query: subquery_scalar_uncorrelated
SELECT id, balance FROM {s}.accounts WHERE balance = (SELECT max(balance) FROM {s}.accounts);

-- query: subquery_scalar_avg
SELECT count(*) FROM {s}.accounts WHERE balance > (SELECT avg(balance) FROM {s}.accounts);

-- query: subquery_in_non_colocated
SELECT count(*) FROM {s}.accounts WHERE id IN (SELECT account_id FROM {s}.events WHERE kind = 'buy');

-- query: subquery_in_reference
SELECT count(*) FROM {s}.users WHERE country IN (SELECT code FROM {s}.countries WHERE region = 'Europe');

-- query: subquery_exists_text_key
SELECT count(*) FROM {s}.users u WHERE EXISTS (SELECT 1 FROM {s}.sessions s WHERE s.user_email = u.email);

-- query: subquery_any_all
SELECT count(*) FROM {s}.accounts WHERE balance > ALL (SELECT amount * 40 FROM {s}.orders WHERE account_id = 3 AND amount IS NOT NULL);

-- query: subquery_correlated_max
SELECT account_id, order_id FROM {s}.orders o WHERE amount = (SELECT max(amount) FROM {s}.orders o2 WHERE o2.account_id = o.account_id) AND account_id < 200;

-- query: select_no_from_scalar
SELECT 1 AS one, (SELECT count(*) FROM {s}.accounts) AS n, 'x' || (SELECT max(email) FROM {s}.users) AS m;

-- query: select_no_from_exists
SELECT EXISTS (SELECT 1 FROM {s}.orders WHERE account_id = 5) AS e1, EXISTS (SELECT 1 FROM {s}.orders WHERE account_id = 4000) AS e2;

------------------------------------------------------------------------------
-- CTEs
------------------------------------------------------------------------------

-- query: cte_simple
WITH t AS (SELECT id, balance FROM {s}.accounts WHERE tenant_id = 1) SELECT count(*), sum(balance) FROM t;

-- query: cte_multi_reference
WITH t AS (SELECT tenant_id, sum(balance) AS s FROM {s}.accounts GROUP BY tenant_id)
SELECT a.tenant_id, a.s, b.s FROM t a JOIN t b ON a.tenant_id = b.tenant_id + 1;

-- query: cte_materialized
WITH t AS MATERIALIZED (SELECT * FROM {s}.orders WHERE amount > 0) SELECT status, count(*) FROM t GROUP BY status;

-- query: cte_two_tables
WITH a AS (SELECT id FROM {s}.accounts WHERE balance > 9000), o AS (SELECT account_id, sum(amount) s FROM {s}.orders GROUP BY account_id)
SELECT a.id, o.s FROM a LEFT JOIN o ON o.account_id = a.id;

-- query: cte_recursive_reference
WITH RECURSIVE r(code, depth) AS (
  SELECT code, 0 FROM {s}.countries WHERE code = 'US'
  UNION ALL
  SELECT c.code, r.depth + 1 FROM r JOIN {s}.countries c ON c.code > r.code WHERE r.depth < 2
) SELECT code, depth, count(*) FROM r GROUP BY code, depth;

-- query: cte_recursive_series_join
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
SELECT n.i, a.balance FROM n LEFT JOIN {s}.accounts a ON a.id = n.i;

-- query: cte_data_modifying_free
WITH x AS (SELECT account_id, count(*) c FROM {s}.orders GROUP BY account_id) SELECT c, count(*) FROM x GROUP BY c;

------------------------------------------------------------------------------
-- joins
------------------------------------------------------------------------------

-- query: join_colocated_inner
SELECT a.id, a.name, o.order_id, o.amount FROM {s}.accounts a JOIN {s}.orders o ON o.account_id = a.id WHERE a.id < 100;

-- query: join_colocated_inner_agg
SELECT a.tenant_id, count(*), sum(o.amount) FROM {s}.accounts a JOIN {s}.orders o ON o.account_id = a.id GROUP BY a.tenant_id;

-- query: join_colocated_left
SELECT a.id, o.order_id FROM {s}.accounts a LEFT JOIN {s}.orders o ON o.account_id = a.id WHERE a.id % 37 = 0;

-- query: join_colocated_right
SELECT a.id, o.account_id, o.order_id FROM {s}.accounts a RIGHT JOIN {s}.orders o ON o.account_id = a.id WHERE o.account_id > 1940;

-- query: join_colocated_full
SELECT count(*), count(a.id), count(o.account_id) FROM {s}.accounts a FULL JOIN {s}.orders o ON o.account_id = a.id;

-- query: join_colocated_point
SELECT a.*, o.* FROM {s}.accounts a JOIN {s}.orders o ON o.account_id = a.id WHERE a.id = 21;

-- query: join_colocated_using
SELECT account_id, count(*) FROM {s}.orders JOIN (SELECT id AS account_id, tenant_id FROM {s}.accounts) a USING (account_id) WHERE tenant_id = 8 GROUP BY account_id;

-- query: join_non_colocated_columns
SELECT a.id, o.account_id, o.order_id FROM {s}.accounts a JOIN {s}.orders o ON o.order_id = a.tenant_id WHERE a.id < 40 AND o.account_id < 5;

-- query: join_non_colocated_balance
SELECT count(*) FROM {s}.accounts a JOIN {s}.orders o ON a.balance = o.account_id;

-- query: join_dist_reference
SELECT u.email, c.name, c.region FROM {s}.users u JOIN {s}.countries c ON c.code = u.country WHERE u.age = 40;

-- query: join_dist_reference_left
SELECT c.region, count(u.email) FROM {s}.countries c LEFT JOIN {s}.users u ON u.country = c.code GROUP BY c.region;

-- query: join_dist_reference_agg
SELECT c.name, count(*), avg(u.score) FROM {s}.users u JOIN {s}.countries c ON c.code = u.country GROUP BY c.name;

-- query: join_dist_events
SELECT a.id, e.kind, e.amount FROM {s}.accounts a JOIN {s}.events e ON e.account_id = a.id WHERE a.id < 60;

-- query: join_dist_events_key
SELECT count(*), sum(e.amount) FROM {s}.accounts a JOIN {s}.events e ON e.id = a.id;

-- query: join_dist_events_left_agg
SELECT a.tenant_id, count(e.id) FROM {s}.accounts a LEFT JOIN {s}.events e ON e.account_id = a.id GROUP BY a.tenant_id;

-- query: join_dist_local
SELECT a.id, n.note FROM {s}.accounts a JOIN {s}.local_notes n ON n.account_id = a.id;

-- query: join_dist_local_left
SELECT n.account_id, n.note, a.balance FROM {s}.local_notes n LEFT JOIN {s}.accounts a ON a.id = n.account_id;

-- query: join_self_key
SELECT a.id, b.id FROM {s}.accounts a JOIN {s}.accounts b ON a.id = b.id WHERE a.id < 10;

-- query: join_self_non_key
SELECT a.id, b.id FROM {s}.accounts a JOIN {s}.accounts b ON a.balance = -b.balance WHERE a.id < b.id;

-- query: join_self_orders
SELECT o1.account_id, o1.order_id, o2.order_id FROM {s}.orders o1 JOIN {s}.orders o2 ON o1.account_id = o2.account_id AND o1.order_id < o2.order_id WHERE o1.account_id < 50;

-- query: join_sessions_users
SELECT u.country, count(*), sum(s.duration) FROM {s}.sessions s JOIN {s}.users u ON u.email = s.user_email GROUP BY u.country;

-- query: join_three_way
SELECT c.region, count(DISTINCT u.email), count(*) FROM {s}.sessions s JOIN {s}.users u ON u.email = s.user_email JOIN {s}.countries c ON c.code = u.country GROUP BY c.region;

-- query: join_cross_small
SELECT c.code, a.id FROM {s}.countries c CROSS JOIN {s}.accounts a WHERE a.id IN (1, 2) AND c.region = 'Asia';

-- query: join_semi_anti_counts
SELECT (SELECT count(*) FROM {s}.users u WHERE u.country IN (SELECT code FROM {s}.countries)) AS semi,
       (SELECT count(*) FROM {s}.users u WHERE NOT EXISTS (SELECT 1 FROM {s}.countries c WHERE c.code = u.country)) AS anti;

-- query: lateral_top_orders
SELECT a.id, l.order_id, l.amount FROM {s}.accounts a,
  LATERAL (SELECT order_id, amount FROM {s}.orders o WHERE o.account_id = a.id ORDER BY amount DESC NULLS LAST, order_id LIMIT 1) l
WHERE a.id < 80;

-- query: lateral_reference
SELECT c.code, l.n FROM {s}.countries c, LATERAL (SELECT count(*) AS n FROM {s}.users u WHERE u.country = c.code) l;

-- query: lateral_function
SELECT a.id, t.tag FROM {s}.accounts a, LATERAL jsonb_array_elements_text(a.flags -> 'tags') AS t(tag) WHERE a.id < 20;

------------------------------------------------------------------------------
-- expressions: CASE, strings, dates, jsonb, casts
------------------------------------------------------------------------------

-- query: case_expression
SELECT id, CASE WHEN balance IS NULL THEN 'none' WHEN balance < 0 THEN 'neg' WHEN balance = 0 THEN 'zero' ELSE 'pos' END FROM {s}.accounts WHERE id < 120;

-- query: case_in_aggregate
SELECT sum(CASE WHEN status = 'paid' THEN amount ELSE 0 END), count(CASE WHEN status IS NULL THEN 1 END) FROM {s}.orders;

-- query: string_functions
SELECT id, upper(name), lower(name), length(name), substr(name, 2, 3), replace(name, 'acct', 'A'), reverse(name), name || '!' FROM {s}.accounts WHERE id BETWEEN -10 AND 30;

-- query: string_split_position
SELECT email, split_part(email, '@', 2), position('@' IN email), left(email, 5), right(email, 4) FROM {s}.users WHERE age = 19;

-- query: string_regexp
SELECT id, regexp_replace(name, '[0-9]+', '#', 'g') FROM {s}.accounts WHERE name ~ '^acct 1[0-9]$';

-- query: string_format_concat
SELECT format('%s:%s', account_id, order_id), concat_ws('/', status, amount) FROM {s}.orders WHERE account_id < 10;

-- query: string_collation_order
-- ordered
SELECT name FROM {s}.accounts WHERE name IS NOT NULL GROUP BY name ORDER BY name COLLATE "C" LIMIT 20;

-- query: date_trunc_tz
SELECT id, date_trunc('day', created_at), date_trunc('hour', created_at) FROM {s}.accounts WHERE id BETWEEN 0 AND 40;

-- query: extract_tz
SELECT extract(year FROM created_at) AS y, extract(month FROM created_at) AS m, count(*) FROM {s}.accounts GROUP BY 1, 2;

-- query: extract_dow_hour
SELECT extract(dow FROM created_at), extract(hour FROM created_at), count(*) FROM {s}.accounts GROUP BY 1, 2;

-- query: timestamptz_at_time_zone
SELECT id, created_at AT TIME ZONE 'UTC', (created_at AT TIME ZONE 'America/New_York')::date FROM {s}.accounts WHERE id BETWEEN 100 AND 120;

-- query: timestamptz_to_char
SELECT id, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS TZH:TZM') FROM {s}.accounts WHERE id BETWEEN 200 AND 230;

-- query: timestamp_arith
SELECT id, started_at + duration, started_at::date, date_trunc('week', started_at) FROM {s}.sessions WHERE user_email = 'user5@example.com';

-- query: interval_extract
SELECT extract(epoch FROM duration), justify_interval(duration * 20) FROM {s}.sessions WHERE id < '10000000-0000-0000-0000-000000000000';

-- query: now_free_age
SELECT id, age(timestamp '2030-01-01', started_at) FROM {s}.sessions WHERE started_at < '2024-03-01';

-- query: jsonb_arrow_text
SELECT id, flags ->> 'tier', flags -> 'tags', flags #>> '{tags,0}' FROM {s}.accounts WHERE id BETWEEN 1 AND 40;

-- query: jsonb_contains
SELECT count(*) FROM {s}.accounts WHERE flags @> '{"vip": true}';

-- query: jsonb_contains_array
SELECT id FROM {s}.accounts WHERE flags @> '{"tags": ["t2"]}' AND id < 200;

-- query: jsonb_exists_key
SELECT count(*), count(*) FILTER (WHERE flags ? 'beta') FROM {s}.accounts;

-- query: jsonb_exists_any
SELECT id FROM {s}.accounts WHERE flags ?| ARRAY['beta', 'gamma'] AND id < 100;

-- query: jsonb_build
SELECT jsonb_build_object('id', id, 'n', name, 'b', balance) FROM {s}.accounts WHERE id < 15;

-- query: jsonb_set_path
SELECT id, jsonb_set(flags, '{tier}', '99') FROM {s}.accounts WHERE id BETWEEN 50 AND 60;

-- query: jsonb_typeof_group
SELECT jsonb_typeof(flags -> 'vip'), count(*) FROM {s}.accounts GROUP BY 1;

-- query: cast_numeric_text
SELECT account_id, order_id, amount::text, amount::int, amount::float8, round(amount, 1) FROM {s}.orders WHERE account_id BETWEEN 100 AND 110;

-- query: cast_bigint_numeric_division
SELECT id, balance / 3, balance::numeric / 3, balance % 7, balance::float8 / 7 FROM {s}.accounts WHERE id BETWEEN 300 AND 320;

-- query: cast_uuid_text
SELECT id::text, upper(id::text), substr(id::text, 1, 8) FROM {s}.sessions WHERE user_email = 'user9@example.com';

-- query: cast_bool_text
SELECT id, (balance > 0)::text, (balance > 0)::int FROM {s}.accounts WHERE id < 25;

-- query: math_functions
SELECT email, round(score::numeric, 3), floor(score), ceil(score), abs(score), sqrt(abs(score)), power(age, 2) FROM {s}.users WHERE age BETWEEN 20 AND 22;

-- query: generate_series_join
SELECT g, count(o.*) FROM generate_series(1, 3) g LEFT JOIN {s}.orders o ON o.order_id = g GROUP BY g;

-- query: values_join
SELECT v.k, a.name FROM (VALUES (1::bigint, 'x'), (2, 'y'), (-50, 'z'), (5000, 'none')) v(k, t) LEFT JOIN {s}.accounts a ON a.id = v.k;

-- query: row_constructor_compare
SELECT account_id, order_id FROM {s}.orders WHERE (account_id, order_id) IN ((1, 1), (2, 2), (3, 3), (6, 1));

-- query: row_to_text
SELECT t::text FROM {s}.accounts t WHERE id BETWEEN 7 AND 12;

-- query: table_accounts
TABLE {s}.accounts;

-- query: table_orders
TABLE {s}.orders;

-- query: select_star_users
SELECT * FROM {s}.users;

-- query: select_star_sessions
SELECT * FROM {s}.sessions;

-- query: select_star_events
SELECT * FROM {s}.events;

------------------------------------------------------------------------------
-- views
------------------------------------------------------------------------------

-- query: view_account_totals
SELECT * FROM {s}.account_totals WHERE id < 50;

-- query: view_account_totals_agg
SELECT tenant_id, sum(n_orders), sum(total) FROM {s}.account_totals GROUP BY tenant_id;

-- query: view_rich_accounts
SELECT * FROM {s}.rich_accounts;

-- query: view_rich_point
SELECT * FROM {s}.rich_accounts WHERE id = 9;

-- query: view_join_table
SELECT r.id, count(o.order_id) FROM {s}.rich_accounts r JOIN {s}.orders o ON o.account_id = r.id GROUP BY r.id;

------------------------------------------------------------------------------
-- local and reference-only queries (no distributed table: expected to match today)
------------------------------------------------------------------------------

-- query: local_only
SELECT account_id, note FROM {s}.local_notes WHERE note IS NOT NULL;

-- query: local_only_agg
SELECT count(*), count(note), min(account_id), max(account_id) FROM {s}.local_notes;

-- query: reference_only_group
SELECT region, count(*), string_agg(code, ',' ORDER BY code) FROM {s}.countries GROUP BY region;

-- query: reference_local_join
SELECT c.code, n.note FROM {s}.countries c JOIN {s}.local_notes n ON n.account_id = length(c.name);

------------------------------------------------------------------------------
-- errors: plain fails, so dist must fail too
------------------------------------------------------------------------------

-- query: error_division_by_zero
-- error
SELECT id, balance / (tenant_id - tenant_id) FROM {s}.accounts WHERE tenant_id IS NOT NULL;

-- query: error_bad_cast
-- error
SELECT name::int FROM {s}.accounts WHERE name LIKE 'acct%';

-- query: error_scalar_subquery_many_rows
-- error
SELECT (SELECT id FROM {s}.accounts WHERE tenant_id = 1);

------------------------------------------------------------------------------
-- prepared statements: 7 executions each (the 6th and 7th use a generic plan)
------------------------------------------------------------------------------

-- prepared: prep_acc_by_id
-- types: bigint
-- args: 1 ; 42 ; -50 ; 0 ; 999999 ; 1950 ; 7
SELECT * FROM {s}.accounts WHERE id = $1;

-- prepared: prep_acc_in_two
-- types: bigint, bigint
-- args: 1, 2 ; 3, 300 ; -5, 5 ; 10, 10 ; 1000, 2000 ; 44, 45 ; 0, -1
SELECT id, balance FROM {s}.accounts WHERE id IN ($1, $2);

-- prepared: prep_acc_any
-- types: bigint[]
-- args: ARRAY[1,2,3]::bigint[] ; ARRAY[]::bigint[] ; ARRAY[-1,-2]::bigint[] ; ARRAY[5]::bigint[] ; ARRAY[7,8,9,10]::bigint[] ; ARRAY[1900,99999]::bigint[] ; ARRAY[11]::bigint[]
SELECT id, name FROM {s}.accounts WHERE id = ANY($1);

-- prepared: prep_acc_range
-- types: bigint, bigint
-- args: 1, 10 ; 100, 150 ; -50, -40 ; 5, 4 ; 1900, 3000 ; 0, 0 ; 500, 520
SELECT count(*), sum(balance) FROM {s}.accounts WHERE id BETWEEN $1 AND $2;

-- prepared: prep_orders_join
-- types: bigint
-- args: 1 ; 2 ; 3 ; 4 ; 5 ; 2045 ; 37
SELECT a.id, a.name, o.order_id, o.amount FROM {s}.accounts a JOIN {s}.orders o ON o.account_id = a.id WHERE a.id = $1;

-- prepared: prep_orders_by_key
-- types: bigint
-- args: 10 ; 11 ; 12 ; 13 ; 14 ; 15 ; 16
SELECT order_id, amount, status FROM {s}.orders WHERE account_id = $1;

-- prepared: prep_users_email
-- types: text
-- args: 'user1@example.com' ; 'user2@example.com' ; '' ; 'Ünïcode20@exämple.org' ; 'missing' ; 'user999@example.com' ; 'user3@example.com'
SELECT * FROM {s}.users WHERE email = $1;

-- prepared: prep_users_country
-- types: text
-- args: 'US' ; 'DE' ; 'XX' ; 'JP' ; 'ZZ' ; 'BR' ; 'IN'
SELECT count(*), avg(age), sum(score) FROM {s}.users WHERE country = $1;

-- prepared: prep_sessions_uuid
-- types: uuid
-- args: md5('1')::uuid ; md5('2')::uuid ; md5('3')::uuid ; md5('4')::uuid ; md5('nope')::uuid ; md5('1500')::uuid ; md5('750')::uuid
SELECT * FROM {s}.sessions WHERE id = $1;

-- prepared: prep_sessions_user
-- types: text
-- args: 'user5@example.com' ; 'user6@example.com' ; 'user7@example.com' ; 'user8@example.com' ; 'user9@example.com' ; 'user10@example.com' ; 'x'
SELECT id, started_at, duration FROM {s}.sessions WHERE user_email = $1;

-- prepared: prep_events_id
-- types: bigint
-- args: 1 ; 2 ; 3 ; 4 ; 5 ; 6 ; 1500
SELECT * FROM {s}.events WHERE id = $1;

-- prepared: prep_reference_code
-- types: text
-- args: 'US' ; 'DE' ; 'FR' ; 'JP' ; 'BR' ; 'IN' ; 'XX'
SELECT c.name, count(u.email) FROM {s}.countries c LEFT JOIN {s}.users u ON u.country = c.code WHERE c.code = $1 GROUP BY c.name;

-- prepared: prep_tenant_filter
-- types: bigint, int
-- args: 1, 5 ; 2, 5 ; 3, 1 ; 4, 10 ; 5, 0 ; 6, 3 ; 7, 100
-- ordered
SELECT id, balance FROM {s}.accounts WHERE tenant_id = $1 ORDER BY balance DESC NULLS LAST, id LIMIT $2;

-- prepared: prep_no_params_count
SELECT count(*), sum(amount) FROM {s}.orders;

-- prepared: prep_null_param
-- types: bigint
-- args: NULL ; 1 ; NULL ; 2 ; NULL ; NULL ; 3
SELECT count(*) FROM {s}.accounts WHERE id = $1;

------------------------------------------------------------------------------
-- UNION ALL inside FROM subqueries and views (append relations)
------------------------------------------------------------------------------

-- query: union_all_from_count_sum
SELECT count(*), sum(v) FROM (SELECT balance AS v FROM {s}.accounts UNION ALL SELECT amount FROM {s}.events) s;

-- query: union_all_from_group_top
-- ordered
SELECT v, count(*) FROM (SELECT tenant_id AS v FROM {s}.accounts UNION ALL SELECT account_id % 7 FROM {s}.events) s
GROUP BY v ORDER BY 2 DESC, 1 NULLS FIRST LIMIT 2;

-- query: union_all_from_join_dist
SELECT count(*) FROM (SELECT id FROM {s}.accounts UNION ALL SELECT id FROM {s}.events) s JOIN {s}.accounts USING (id);

-- query: union_all_from_aggregates_filtered
SELECT kind, count(*), count(amount), sum(amount), avg(amount), min(amount), max(amount)
FROM (SELECT 'acct' AS kind, balance AS amount FROM {s}.accounts WHERE tenant_id = 3
      UNION ALL SELECT kind, amount FROM {s}.events WHERE amount > 0) s
WHERE amount IS NOT NULL OR kind = 'buy'
GROUP BY kind HAVING count(*) > 1;

-- query: union_all_from_group_by_expression
SELECT v % 3, sum(w), count(DISTINCT w) FROM (SELECT id AS v, balance AS w FROM {s}.accounts
                                              UNION ALL SELECT account_id, amount FROM {s}.events) s
GROUP BY v % 3;

-- query: union_all_view_where
SELECT kind, count(*), sum(amount) FROM {s}.ledger WHERE account_id BETWEEN 10 AND 400 GROUP BY kind;

-- query: union_all_view_whole
SELECT count(*), sum(amount), count(kind), min(kind), max(kind) FROM {s}.ledger;

-- query: union_all_view_rows
SELECT * FROM {s}.ledger WHERE account_id IN (11, 12, 400, -7);

-- query: union_all_view_pinned
SELECT * FROM {s}.ledger WHERE account_id = 42;

-- query: union_all_view_nulls
SELECT count(*) FILTER (WHERE amount IS NULL), count(*) FILTER (WHERE kind IS NULL), count(*) FROM {s}.ledger;

-- query: union_all_three_coercions
SELECT pg_typeof(v)::text, sum(v), count(*) FROM (SELECT balance AS v FROM {s}.accounts
                                   UNION ALL SELECT amount FROM {s}.orders
                                   UNION ALL SELECT amount FROM {s}.events
                                   UNION ALL SELECT age FROM {s}.users) s GROUP BY 1;

-- query: union_all_order_limit
-- ordered
SELECT * FROM (SELECT id, balance AS v FROM {s}.accounts UNION ALL SELECT id, amount FROM {s}.events) s
ORDER BY v DESC NULLS LAST, id LIMIT 7;

-- query: union_all_distinct
SELECT DISTINCT v FROM (SELECT tenant_id AS v FROM {s}.accounts UNION ALL SELECT account_id % 5 FROM {s}.orders) s;

-- query: union_all_window
-- ordered
SELECT id, v, rank() OVER (ORDER BY v DESC NULLS LAST, id) FROM
  (SELECT id, balance AS v FROM {s}.accounts WHERE id < 30 UNION ALL SELECT id, amount FROM {s}.events WHERE id < 20) s
ORDER BY 3, id LIMIT 15;

-- query: union_all_cte_twice
WITH u AS MATERIALIZED (SELECT id, balance AS v FROM {s}.accounts UNION ALL SELECT id, amount FROM {s}.events)
SELECT (SELECT count(*) FROM u), (SELECT sum(v) FROM u WHERE id % 2 = 0);

-- query: union_all_cte_inline_twice
WITH u AS (SELECT id, balance AS v FROM {s}.accounts UNION ALL SELECT id, amount FROM {s}.events)
SELECT a.id, a.v, b.v FROM u a JOIN u b ON a.id = b.id AND a.v < b.v WHERE a.id < 40;

-- query: union_all_join_reference
SELECT c.region, count(*) FROM (SELECT country FROM {s}.users UNION ALL SELECT code FROM {s}.countries) s
JOIN {s}.countries c ON c.code = s.country GROUP BY c.region;

-- query: union_all_join_colocated
SELECT a.tenant_id, count(*), sum(s.amount) FROM
  (SELECT account_id, amount FROM {s}.orders UNION ALL SELECT account_id, qty FROM {s}.tickets) s
JOIN {s}.accounts a ON a.id = s.account_id GROUP BY a.tenant_id;

-- query: union_all_with_local
SELECT count(*), count(DISTINCT account_id), count(note) FROM
  (SELECT id AS account_id, name AS note FROM {s}.accounts UNION ALL SELECT account_id, note FROM {s}.local_notes) s;

-- query: union_all_with_local_grouped
SELECT account_id % 4, count(*) FROM
  (SELECT id AS account_id FROM {s}.accounts UNION ALL SELECT account_id FROM {s}.local_notes) s GROUP BY 1;

-- query: union_all_with_reference
SELECT count(*), min(code), max(code) FROM
  (SELECT country AS code FROM {s}.users UNION ALL SELECT code FROM {s}.countries) s;

-- query: union_all_with_values
SELECT v, count(*) FROM (SELECT tenant_id AS v FROM {s}.accounts UNION ALL VALUES (100), (NULL), (3)) s GROUP BY v;

-- query: union_all_with_function
SELECT count(*), sum(v) FROM (SELECT id AS v FROM {s}.events UNION ALL SELECT g FROM generate_series(1, 50) g) s;

-- query: union_all_pinned_colocated
SELECT count(*), sum(v) FROM (SELECT balance AS v FROM {s}.accounts WHERE id = 77
                              UNION ALL SELECT amount FROM {s}.orders WHERE account_id = 77) s;

-- query: union_all_pinned_different_shards
SELECT count(*), sum(v) FROM (SELECT balance AS v FROM {s}.accounts WHERE id = 77
                              UNION ALL SELECT amount FROM {s}.orders WHERE account_id = 78) s;

-- query: union_all_same_table_twice
SELECT count(*), sum(v) FROM (SELECT balance AS v FROM {s}.accounts WHERE id < 0
                              UNION ALL SELECT balance FROM {s}.accounts WHERE id > 1900) s;

-- query: union_all_nested_subquery
SELECT count(*) FROM (SELECT * FROM (SELECT id FROM {s}.accounts UNION ALL SELECT id FROM {s}.events) x WHERE id % 3 = 0
                      UNION ALL SELECT account_id FROM {s}.orders) y;

-- query: union_all_empty_side
SELECT count(*), sum(v), max(v) FROM (SELECT balance AS v FROM {s}.accounts WHERE false
                                      UNION ALL SELECT amount FROM {s}.events WHERE id = -1) s;

-- prepared: union_all_prepared_pin
-- types: bigint
-- args: 42 ; 77 ; 1999 ; -3
SELECT count(*), sum(v) FROM (SELECT balance AS v FROM {s}.accounts WHERE id = $1
                              UNION ALL SELECT amount FROM {s}.orders WHERE account_id = $1) s;

-- prepared: union_all_prepared_filter
-- types: bigint
-- args: 100 ; 0 ; -5000
SELECT count(*), sum(v) FROM (SELECT balance AS v FROM {s}.accounts UNION ALL SELECT amount FROM {s}.events) s WHERE v > $1;

-- query: union_all_constant_group
SELECT src, count(*), sum(v) FROM (SELECT 2 AS src, balance AS v FROM {s}.accounts
                                   UNION ALL SELECT 3, amount FROM {s}.events) s GROUP BY src;

-- query: union_all_text_collation
SELECT n, count(*) FROM (SELECT name COLLATE "C" AS n FROM {s}.accounts UNION ALL SELECT kind FROM {s}.events) s
GROUP BY n HAVING count(*) > 20;

------------------------------------------------------------------------------
-- correlated comparisons with a per-key aggregate
------------------------------------------------------------------------------

-- query: correlated_avg_per_tenant
SELECT id, balance FROM {s}.accounts a
WHERE balance > (SELECT avg(balance) + 9000 FROM {s}.accounts a2 WHERE a2.tenant_id = a.tenant_id);

-- query: correlated_sum_per_distribution_key
SELECT a.id, a.balance FROM {s}.accounts a
WHERE a.balance < (SELECT sum(o.amount) FROM {s}.orders o WHERE o.account_id = a.id) AND a.id < 300;

-- query: correlated_max_per_key_equal
SELECT account_id, order_id, amount FROM {s}.orders o
WHERE amount = (SELECT max(amount) FROM {s}.orders o2 WHERE o2.account_id = o.account_id) AND account_id BETWEEN 100 AND 160;

-- query: correlated_count_in_select_list
SELECT id, (SELECT count(*) FROM {s}.orders o WHERE o.account_id = a.id) AS n FROM {s}.accounts a WHERE id % 97 = 0;

------------------------------------------------------------------------------
-- row locks (the workers lock the rows; the answers are the same)
------------------------------------------------------------------------------

-- query: for_update_across_shards
SELECT id, balance FROM {s}.accounts WHERE tenant_id = 3 AND balance > 0 FOR UPDATE;

-- query: for_share_reference
SELECT code, name FROM {s}.countries WHERE region = 'Europe' FOR SHARE;

-- query: for_update_pinned
SELECT * FROM {s}.orders WHERE account_id = 12 FOR UPDATE;

-- query: for_no_key_update_skip_locked
-- ordered
SELECT id FROM {s}.events WHERE kind = 'buy' AND id < 200 ORDER BY id, account_id NULLS FIRST, amount NULLS FIRST FOR NO KEY UPDATE SKIP LOCKED;
