-- How the TPC-H tables are laid out on Shale (run after schema.sql, before loading):
-- orders and lineitem co-located by order key; part and partsupp co-located by part key;
-- customer and supplier distributed by their keys; nation and region reference tables.
SELECT shale.distribute_table('orders', 'o_orderkey', :shards);
SELECT shale.distribute_table('lineitem', 'l_orderkey', :shards, colocate_with => 'orders');
SELECT shale.distribute_table('part', 'p_partkey', :shards);
SELECT shale.distribute_table('partsupp', 'ps_partkey', :shards, colocate_with => 'part');
SELECT shale.distribute_table('customer', 'c_custkey', :shards);
SELECT shale.distribute_table('supplier', 's_suppkey', :shards);
SELECT shale.make_reference_table('nation');
SELECT shale.make_reference_table('region');
