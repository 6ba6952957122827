-- ecommerce: orders by customer, products replicated to every worker group
CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, price numeric(12, 2) NOT NULL);
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, country text NOT NULL);
CREATE TABLE orders (customer_id bigint NOT NULL, id bigint NOT NULL, placed_at timestamptz NOT NULL DEFAULT now(),
                     status text NOT NULL DEFAULT 'placed', PRIMARY KEY (customer_id, id));
CREATE TABLE order_lines (customer_id bigint NOT NULL, order_id bigint NOT NULL, line int NOT NULL,
                          product_id bigint NOT NULL, quantity int NOT NULL CHECK (quantity > 0),
                          PRIMARY KEY (customer_id, order_id, line));
