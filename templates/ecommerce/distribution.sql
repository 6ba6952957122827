SELECT shale.make_reference_table('products');
SELECT shale.distribute_table('customers', 'id', 8);
SELECT shale.distribute_table('orders', 'customer_id', 8, 'customers');
SELECT shale.distribute_table('order_lines', 'customer_id', 8, 'customers');
