-- nodes: registration of nodes and its misuse. The harness registered the
-- router (group 0) and two worker groups; ports vary, so none is printed.
SELECT group_id, role, count(*) FROM shale.nodes GROUP BY 1, 2 ORDER BY 1, 2;

-- bad input: each refused, nothing changes
SELECT shale.add_node('127.0.0.1', 70000);
SELECT shale.add_node('127.0.0.1', 5999, role => 'leader');
SELECT shale.add_node('127.0.0.1', 5999, role => 'replica');
SELECT shale.add_node('127.0.0.1', 5999, 42, 'replica');
SELECT shale.add_node('', 5999);
SELECT shale.add_node(NULL, 5999);
SELECT shale.add_node('127.0.0.1', 5999, -1);
DO $$
BEGIN
    PERFORM shale.add_node(host, port) FROM shale.nodes WHERE group_id = 1 AND role = 'primary';
EXCEPTION WHEN duplicate_object THEN
    RAISE NOTICE 'registering a node twice is refused with SQLSTATE %', SQLSTATE;
END
$$;
SELECT shale.add_node('127.0.0.2', 5999, 1, 'primary');
SELECT shale.remove_node(987654);
SELECT shale.set_node_state(987654, 'up');
SELECT shale.set_node_state(1, 'sideways');
SELECT count(*) AS nodes_after_bad_input FROM shale.nodes;

-- a replica joins an existing group, and leaves again
BEGIN;
SELECT shale.add_node('127.0.0.9', 5999, 1, 'replica') > 0 AS added;
SELECT group_id, role, state FROM shale.nodes WHERE host = '127.0.0.9';
SELECT kind, group_id FROM shale.event WHERE kind = 'node_added' ORDER BY event_id DESC LIMIT 1;
SELECT shale.remove_node(node_id) FROM shale.nodes WHERE host = '127.0.0.9';
SELECT count(*) FROM shale.nodes WHERE host = '127.0.0.9';
-- a new primary without group_id starts a new group
SELECT shale.add_node('127.0.0.9', 5998) > 0 AS added;
SELECT group_id = (SELECT max(group_id) FROM shale.node_group) AS in_new_group, role
FROM shale.nodes WHERE host = '127.0.0.9';
ROLLBACK;

-- the primary of a group that holds shards cannot be removed
CREATE TABLE pinned (id int PRIMARY KEY);
SELECT shale.distribute_table('pinned', 'id', 2);
SELECT shale.remove_node(node_id) FROM shale.nodes WHERE group_id = 1 AND role = 'primary';
DROP TABLE pinned;
SELECT count(*) AS shard_rows_left FROM shale.shard;
