-- one customer's orders with their totals: one shard, products joined locally
SELECT o.id, sum(l.quantity * p.price) AS total FROM orders o
  JOIN order_lines l ON l.customer_id = o.customer_id AND l.order_id = o.id
  JOIN products p ON p.id = l.product_id
 WHERE o.customer_id = 12 GROUP BY o.id ORDER BY o.id;
-- revenue per country over every customer
SELECT c.country, count(DISTINCT o.id) AS orders FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.country;
