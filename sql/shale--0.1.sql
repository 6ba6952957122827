-- shale--0.1.sql — the metadata catalog and SQL API of the shale extension.
--
-- Catalog tables are singular nouns (shale.node, shale.shard, …); the views users
-- read are plural (shale.nodes, shale.shards, …). Everything lives on the router
-- node; workers run CREATE EXTENSION too, for worker-side functions, and keep
-- their catalog empty.
\echo Use "CREATE EXTENSION shale" to load this file. \quit

-------------------------------------------------------------------------------
-- Nodes and worker groups
-------------------------------------------------------------------------------

-- A group is a primary and its streaming replicas. Group 0 is the router group;
-- worker groups are numbered from 1. Placements point at groups, so a failover
-- changes node roles and never a placement.
CREATE TABLE shale.node_group (
    group_id    int PRIMARY KEY CHECK (group_id >= 0),
    -- active: serves reads and writes; fenced: writes refused (failover in
    -- progress); draining: holds shards being moved away before removal
    state       text NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'fenced', 'draining')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shale.node (
    node_id         serial PRIMARY KEY,
    host            text NOT NULL CHECK (host <> ''),
    port            int NOT NULL CHECK (port BETWEEN 1 AND 65535),
    group_id        int NOT NULL REFERENCES shale.node_group (group_id),
    role            text NOT NULL CHECK (role IN ('primary', 'replica')),
    -- health as last seen by shaled: unknown until it has checked once
    state           text NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'up', 'down')),
    state_changed_at timestamptz,
    added_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host, port)
);
-- at most one primary per group
CREATE UNIQUE INDEX node_one_primary_per_group ON shale.node (group_id) WHERE role = 'primary';

-------------------------------------------------------------------------------
-- Distributed and reference tables, shards, placements
-------------------------------------------------------------------------------

-- Tables in one colocation group share hash ranges and placements, so joins and
-- foreign keys on their distribution columns stay inside one worker group.
CREATE TABLE shale.colocation_group (
    colocation_id          serial PRIMARY KEY,
    -- NULL for the colocation group of reference tables
    distribution_type      regtype,
    distribution_collation oid
);

CREATE TABLE shale.distributed_table (
    table_id            regclass PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('distributed', 'reference')),
    -- attribute number, so that renaming the column keeps the catalog right
    distribution_attnum smallint,
    colocation_id       int NOT NULL REFERENCES shale.colocation_group (colocation_id),
    CHECK ((kind = 'distributed') = (distribution_attnum IS NOT NULL))
);

CREATE SEQUENCE shale.shard_id_seq START 102001;

-- A shard holds the contiguous inclusive hash range [hash_min, hash_max] of its
-- table. A reference table has one shard covering the whole space.
CREATE TABLE shale.shard (
    shard_id  bigint PRIMARY KEY DEFAULT nextval('shale.shard_id_seq'),
    table_id  regclass NOT NULL REFERENCES shale.distributed_table (table_id) ON DELETE CASCADE,
    hash_min  bigint NOT NULL,
    hash_max  bigint NOT NULL,
    CHECK (hash_min <= hash_max)
);
CREATE INDEX shard_table_id ON shale.shard (table_id, hash_min);

CREATE TABLE shale.placement (
    placement_id bigserial PRIMARY KEY,
    shard_id     bigint NOT NULL REFERENCES shale.shard (shard_id) ON DELETE CASCADE,
    group_id     int NOT NULL REFERENCES shale.node_group (group_id),
    UNIQUE (shard_id, group_id)
);
CREATE INDEX placement_group_id ON shale.placement (group_id);

-------------------------------------------------------------------------------
-- Operations, distributed commits, events (filled by later features)
-------------------------------------------------------------------------------

-- Long-running shard operations (moves, splits, rebalancing), with progress.
CREATE TABLE shale.operation (
    operation_id  bigserial PRIMARY KEY,
    kind          text NOT NULL,
    shard_ids     bigint[] NOT NULL DEFAULT '{}',
    source_group  int,
    target_groups int[],
    phase         text NOT NULL DEFAULT 'planned',
    bytes_copied  bigint NOT NULL DEFAULT 0,
    rows_copied   bigint NOT NULL DEFAULT 0,
    percent_done  numeric(5, 2) NOT NULL DEFAULT 0,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    error         text,
    -- moves and splits: the shards after the operation (a move keeps its ids),
    -- the shard tables on each side (quoted names) and each target table's
    -- group, so shale.cleanup_operations() can drop the side that lost
    new_shard_ids       bigint[] NOT NULL DEFAULT '{}',
    source_tables       text[] NOT NULL DEFAULT '{}',
    target_tables       text[] NOT NULL DEFAULT '{}',
    target_table_groups int[] NOT NULL DEFAULT '{}',
    write_block_ms      bigint          -- how long writes were blocked at the cutover
);

-- On every node: the marker row of a running move or split. A token written on
-- the source and read on a target proves the target applied everything before it.
CREATE TABLE shale.operation_marker (
    operation_id bigint PRIMARY KEY,
    token        bigint NOT NULL
);

-- One row per distributed transaction that decided to commit after preparing
-- on several worker groups; written in the router's own local commit, so after
-- a crash a prepared transaction with a record is committed, one without is
-- rolled back.
CREATE TABLE shale.commit_record (
    gid         text PRIMARY KEY,
    group_ids   int[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Where each restore point made by shale.create_restore_point is in the WAL of
-- each node group: `shale restore --to NAME` picks the backups taken before it
-- (also for points made in SQL, not through the command line).
CREATE TABLE shale.restore_point (
    name        text NOT NULL,
    group_id    int NOT NULL,
    node        text NOT NULL,
    lsn         pg_lsn NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON shale.restore_point (name);

-- The last health check of each node by shaled. Kept apart from shale.node on
-- purpose: it changes every second, and shale.node changes invalidate every
-- backend's metadata cache.
CREATE TABLE shale.node_health (
    node_id          int PRIMARY KEY REFERENCES shale.node (node_id) ON DELETE CASCADE,
    checked_at       timestamptz NOT NULL,
    reachable        boolean NOT NULL,
    in_recovery      boolean,           -- pg_is_in_recovery(); NULL when unreachable
    timeline         int,               -- current timeline of the node
    wal_lsn          pg_lsn,            -- primary: pg_current_wal_lsn(); replica: last replayed
    lag_bytes        bigint,            -- replica: bytes behind its primary's current LSN
    check_latency_ms double precision,  -- round trip of the check
    error            text               -- why the last check failed
);

CREATE TABLE shale.event (
    event_id    bigserial PRIMARY KEY,
    happened_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind        text NOT NULL,
    node_id     int,
    group_id    int,
    detail      text
);

-------------------------------------------------------------------------------
-- Catalog rules checked at commit, and metadata cache invalidation
-------------------------------------------------------------------------------

-- check_shard_ranges verifies, for every table whose shards changed in this
-- transaction, that its shards cover the int64 hash space exactly once and that
-- every shard has a placement; co-located tables must have identical ranges.
CREATE FUNCTION shale.check_shard_ranges() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    checked_table regclass := CASE WHEN TG_OP = 'DELETE' THEN OLD.table_id ELSE NEW.table_id END;
    previous_max bigint;
    shard_row record;
    shard_total int := 0;
    reference_table regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM shale.distributed_table WHERE table_id = checked_table) THEN
        RETURN NULL;  -- the table itself went away
    END IF;
    FOR shard_row IN
        SELECT s.shard_id, s.hash_min, s.hash_max,
               EXISTS (SELECT 1 FROM shale.placement p WHERE p.shard_id = s.shard_id) AS placed
        FROM shale.shard s WHERE s.table_id = checked_table ORDER BY s.hash_min
    LOOP
        shard_total := shard_total + 1;
        IF (previous_max IS NULL AND shard_row.hash_min <> -9223372036854775808)
           OR (previous_max IS NOT NULL AND (previous_max = 9223372036854775807
                                             OR shard_row.hash_min <> previous_max + 1)) THEN
            RAISE EXCEPTION 'shard ranges of table % have a gap or an overlap at shard %',
                checked_table, shard_row.shard_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NOT shard_row.placed THEN
            RAISE EXCEPTION 'shard % of table % has no placement', shard_row.shard_id, checked_table
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        previous_max := shard_row.hash_max;
    END LOOP;
    IF shard_total > 0 AND previous_max <> 9223372036854775807 THEN
        RAISE EXCEPTION 'shard ranges of table % do not reach the end of the hash space', checked_table
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- co-located tables share ranges
    SELECT d2.table_id INTO reference_table
    FROM shale.distributed_table d1
    JOIN shale.distributed_table d2 USING (colocation_id)
    WHERE d1.table_id = checked_table AND d2.table_id <> checked_table AND d1.kind = 'distributed'
    LIMIT 1;
    IF reference_table IS NOT NULL AND EXISTS (
        (SELECT hash_min, hash_max FROM shale.shard WHERE table_id = checked_table
         EXCEPT SELECT hash_min, hash_max FROM shale.shard WHERE table_id = reference_table)
        UNION ALL
        (SELECT hash_min, hash_max FROM shale.shard WHERE table_id = reference_table
         EXCEPT SELECT hash_min, hash_max FROM shale.shard WHERE table_id = checked_table)) THEN
        RAISE EXCEPTION 'table % has other shard ranges than its co-located table %',
            checked_table, reference_table
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER shard_ranges_cover_space
    AFTER INSERT OR UPDATE OR DELETE ON shale.shard
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION shale.check_shard_ranges();

-- invalidate_metadata_cache tells every backend to drop its cached metadata;
-- fired by any change to a catalog table the planner reads.
CREATE FUNCTION shale.invalidate_metadata_cache() RETURNS trigger
    LANGUAGE C AS 'MODULE_PATHNAME', 'shale_invalidate_metadata_cache';

DO $$
DECLARE
    catalog_table text;
BEGIN
    FOREACH catalog_table IN ARRAY ARRAY['node_group', 'node', 'colocation_group',
                                         'distributed_table', 'shard', 'placement'] LOOP
        EXECUTE format('CREATE TRIGGER invalidate_metadata_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
                        ON shale.%I FOR EACH STATEMENT EXECUTE FUNCTION shale.invalidate_metadata_cache()',
                       catalog_table);
    END LOOP;
END
$$;

-------------------------------------------------------------------------------
-- Nodes: SQL API
-------------------------------------------------------------------------------

-- add_node registers a node. A primary without group_id starts a new worker
-- group; a replica must name the group of its primary. Group 0 is the router.
CREATE FUNCTION shale.add_node(host text, port int, group_id int DEFAULT NULL,
                               role text DEFAULT 'primary')
RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    new_group_id int := add_node.group_id;
    new_node_id int;
BEGIN
    IF host IS NULL OR host = '' OR port IS NULL OR role IS NULL THEN
        RAISE EXCEPTION 'host, port and role must not be null or empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Call shale.add_node(''10.0.0.5'', 5432).';
    END IF;
    IF port NOT BETWEEN 1 AND 65535 THEN
        RAISE EXCEPTION 'port % is out of range', port
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A port is between 1 and 65535.';
    END IF;
    IF role NOT IN ('primary', 'replica') THEN
        RAISE EXCEPTION 'invalid node role "%"', role
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The role is ''primary'' or ''replica''.';
    END IF;
    IF new_group_id IS NOT NULL AND new_group_id < 0 THEN
        RAISE EXCEPTION 'group_id % is negative', new_group_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Group 0 is the router group; worker groups are numbered from 1.';
    END IF;
    IF EXISTS (SELECT 1 FROM shale.node n WHERE n.host = add_node.host AND n.port = add_node.port) THEN
        RAISE EXCEPTION 'node %:% is already registered', host, port
            USING ERRCODE = 'duplicate_object', HINT = 'See SELECT * FROM shale.nodes.';
    END IF;

    LOCK TABLE shale.node_group IN EXCLUSIVE MODE;  -- serialise group numbering
    IF new_group_id IS NULL THEN
        IF role = 'replica' THEN
            RAISE EXCEPTION 'a replica needs the group_id of its primary'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass group_id => the group of the primary it replicates.';
        END IF;
        SELECT greatest(coalesce(max(g.group_id), 0), 0) + 1 INTO new_group_id FROM shale.node_group g;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM shale.node_group g WHERE g.group_id = new_group_id) THEN
        IF role = 'replica' THEN
            RAISE EXCEPTION 'group % does not exist', new_group_id
                USING ERRCODE = 'undefined_object', HINT = 'Add the primary of the group first.';
        END IF;
        INSERT INTO shale.node_group (group_id) VALUES (new_group_id);
    ELSIF role = 'primary' AND EXISTS (SELECT 1 FROM shale.node n
                                       WHERE n.group_id = new_group_id AND n.role = 'primary') THEN
        RAISE EXCEPTION 'group % already has a primary', new_group_id
            USING ERRCODE = 'duplicate_object', HINT = 'Add this node with role => ''replica''.';
    END IF;

    INSERT INTO shale.node (host, port, group_id, role)
    VALUES (host, port, new_group_id, role)
    RETURNING node_id INTO new_node_id;
    INSERT INTO shale.event (kind, node_id, group_id, detail)
    VALUES ('node_added', new_node_id, new_group_id, format('%s:%s as %s', host, port, role));
    -- a new worker group gets its copy of every reference table, in this transaction
    IF role = 'primary' AND new_group_id > 0
       AND EXISTS (SELECT 1 FROM shale.distributed_table d WHERE d.kind = 'reference') THEN
        PERFORM shale.copy_reference_tables(new_group_id);
    END IF;
    RETURN new_node_id;
END
$$;

-- remove_node unregisters a node. The last node of a worker group that still
-- holds shard placements cannot go: its data would be lost.
CREATE FUNCTION shale.remove_node(node_id int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    removed shale.node;
BEGIN
    SELECT * INTO removed FROM shale.node n WHERE n.node_id = remove_node.node_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % does not exist', node_id
            USING ERRCODE = 'undefined_object', HINT = 'See SELECT * FROM shale.nodes.';
    END IF;
    IF removed.role = 'primary' AND EXISTS (SELECT 1 FROM shale.placement p WHERE p.group_id = removed.group_id) THEN
        RAISE EXCEPTION 'node % is the primary of group %, which holds shard placements', node_id, removed.group_id
            USING ERRCODE = 'object_in_use',
                  HINT = 'Move its shards to other groups first, or make one of its replicas the primary.';
    END IF;
    IF removed.role = 'primary' AND EXISTS (SELECT 1 FROM shale.node n
                                            WHERE n.group_id = removed.group_id AND n.role = 'replica') THEN
        RAISE EXCEPTION 'node % is the primary of group %, which still has replicas', node_id, removed.group_id
            USING ERRCODE = 'object_in_use', HINT = 'Remove the replicas first.';
    END IF;
    DELETE FROM shale.node n WHERE n.node_id = removed.node_id;
    IF NOT EXISTS (SELECT 1 FROM shale.node n WHERE n.group_id = removed.group_id) THEN
        DELETE FROM shale.node_group g WHERE g.group_id = removed.group_id;
    END IF;
    INSERT INTO shale.event (kind, node_id, group_id, detail)
    VALUES ('node_removed', removed.node_id, removed.group_id, format('%s:%s', removed.host, removed.port));
END
$$;

-- set_node_state records a node's health as seen by shaled; writes an event
-- when it changes.
CREATE FUNCTION shale.set_node_state(node_id int, state text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    previous text;
BEGIN
    IF state NOT IN ('unknown', 'up', 'down') THEN
        RAISE EXCEPTION 'invalid node state "%"', state
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The state is ''up'', ''down'' or ''unknown''.';
    END IF;
    SELECT n.state INTO previous FROM shale.node n WHERE n.node_id = set_node_state.node_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % does not exist', node_id
            USING ERRCODE = 'undefined_object', HINT = 'See SELECT * FROM shale.nodes.';
    END IF;
    IF previous IS DISTINCT FROM state THEN
        UPDATE shale.node n SET state = set_node_state.state, state_changed_at = now()
        WHERE n.node_id = set_node_state.node_id;
        INSERT INTO shale.event (kind, node_id, detail)
        VALUES ('node_' || state, node_id, format('was %s', previous));
    END IF;
END
$$;

-- record_event writes one event (failover steps: suspected, fenced, promoted,
-- degraded, rejoined, rejoin_failed, switchover) with the time it happened.
CREATE FUNCTION shale.record_event(kind text, node_id int, group_id int, detail text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO shale.event (kind, node_id, group_id, detail) VALUES (kind, node_id, group_id, detail)
$$;

-- fence_group marks a worker group unavailable for writes while shaled replaces
-- its primary; switch_primary makes it active again.
CREATE FUNCTION shale.fence_group(group_id int, detail text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shale.node_group g SET state = 'fenced' WHERE g.group_id = fence_group.group_id AND g.state <> 'fenced';
    INSERT INTO shale.event (kind, node_id, group_id, detail)
    SELECT 'fenced', n.node_id, n.group_id, detail
    FROM shale.node n WHERE n.group_id = fence_group.group_id AND n.role = 'primary';
END
$$;

-- switch_primary makes new_primary the primary of its group in one transaction:
-- the old primary becomes a replica marked down (out of service until shaled
-- rejoins it), the group becomes active, and a 'promoted' event is written.
-- Calling it again for a node that already is the primary changes nothing.
CREATE FUNCTION shale.switch_primary(new_primary int, detail text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    promoted shale.node;
BEGIN
    SELECT * INTO promoted FROM shale.node n WHERE n.node_id = new_primary FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % does not exist', new_primary
            USING ERRCODE = 'undefined_object', HINT = 'See SELECT * FROM shale.nodes.';
    END IF;
    IF promoted.role = 'primary' THEN
        UPDATE shale.node_group g SET state = 'active' WHERE g.group_id = promoted.group_id AND g.state = 'fenced';
        RETURN;
    END IF;
    UPDATE shale.node n SET role = 'replica', state = 'down', state_changed_at = now()
    WHERE n.group_id = promoted.group_id AND n.role = 'primary';
    UPDATE shale.node n SET role = 'primary', state = 'up', state_changed_at = now()
    WHERE n.node_id = new_primary;
    UPDATE shale.node_group g SET state = 'active' WHERE g.group_id = promoted.group_id AND g.state = 'fenced';
    INSERT INTO shale.event (kind, node_id, group_id, detail)
    VALUES ('promoted', new_primary, promoted.group_id, detail);
END
$$;

CREATE VIEW shale.nodes AS
SELECT node_id, host, port, group_id, role, state
FROM shale.node
ORDER BY group_id, role, node_id;

-------------------------------------------------------------------------------
-- Tables: SQL API (implemented in C++)
-------------------------------------------------------------------------------

CREATE FUNCTION shale.distribute_table(table_name regclass, column_name text,
                                       shard_count int DEFAULT 32,
                                       colocate_with regclass DEFAULT NULL)
RETURNS void
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_distribute_table';

CREATE FUNCTION shale.make_reference_table(table_name regclass) RETURNS void
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_make_reference_table';

CREATE FUNCTION shale.undistribute_table(table_name regclass) RETURNS void
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_undistribute_table';

CREATE FUNCTION shale.shard_for(table_name regclass, value anyelement) RETURNS bigint
LANGUAGE C STABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_shard_for';

-- hash_value returns the int64 hash Shale uses to place a value: the extended
-- hash function of the type's default hash operator class, seed 0.
CREATE FUNCTION shale.hash_value(value anyelement) RETURNS bigint
LANGUAGE C IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'shale_hash_value';

-- shard_placement_stats asks every worker group, one query per group, for the
-- on-disk size of each shard it holds and its activity (scans plus rows
-- written, cumulative on the worker); NULLs for unreachable groups.
CREATE FUNCTION shale.shard_placement_stats(OUT shard_id bigint, OUT group_id int, OUT size_bytes bigint,
                                            OUT activity bigint)
RETURNS SETOF record
LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'shale_shard_placement_stats';

-- drop_shards_of_dropped_table drops the shards of a distributed or reference
-- table that DROP TABLE removed on the router; called by the sql_drop trigger.
CREATE FUNCTION shale.drop_shards_of_dropped_table(table_id oid, schema_name text, table_name text)
RETURNS void
LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'shale_drop_shards_of_dropped_table';

CREATE FUNCTION shale.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    dropped record;
BEGIN
    FOR dropped IN
        SELECT o.objid, o.schema_name, o.object_name
        FROM pg_event_trigger_dropped_objects() o
        JOIN shale.distributed_table d ON d.table_id::oid = o.objid
        WHERE o.classid = 'pg_class'::regclass AND o.objsubid = 0
    LOOP
        PERFORM shale.drop_shards_of_dropped_table(dropped.objid, dropped.schema_name, dropped.object_name);
    END LOOP;
END
$$;

CREATE EVENT TRIGGER shale_sql_drop ON sql_drop EXECUTE FUNCTION shale.on_sql_drop();

CREATE VIEW shale.tables AS
SELECT d.table_id AS table_name,
       d.kind,
       a.attname AS distribution_column,
       d.colocation_id,
       (SELECT count(*) FROM shale.shard s WHERE s.table_id = d.table_id)::int AS shard_count
FROM shale.distributed_table d
LEFT JOIN pg_attribute a ON a.attrelid = d.table_id AND a.attnum = d.distribution_attnum
ORDER BY d.table_id::text;

CREATE VIEW shale.shards AS
SELECT s.shard_id,
       s.table_id AS table_name,
       s.hash_min,
       s.hash_max,
       p.group_id,
       n.host || ':' || n.port AS node,
       sizes.size_bytes
FROM shale.shard s
JOIN shale.placement p ON p.shard_id = s.shard_id
LEFT JOIN shale.node n ON n.group_id = p.group_id AND n.role = 'primary'
LEFT JOIN shale.shard_placement_stats() sizes
       ON sizes.shard_id = s.shard_id AND sizes.group_id = p.group_id
ORDER BY s.table_id::text, s.hash_min, p.group_id;

-- recover_prepared_transactions finishes two-phase commits left in doubt by a
-- crash: committed where shale.commit_record says so, rolled back otherwise.
-- Returns how many prepared transactions it finished. shaled runs it every
-- few seconds.
CREATE FUNCTION shale.recover_prepared_transactions() RETURNS int
LANGUAGE C VOLATILE AS 'MODULE_PATHNAME', 'shale_recover_prepared_transactions';

-------------------------------------------------------------------------------
-- Aggregation split between workers and the router (see docs/queries.md)
-------------------------------------------------------------------------------

-- On workers: the aggregate's transition state over a shard's rows, as bytea.
-------------------------------------------------------------------------------
-- Shard moves and splits (online, with logical replication)
-------------------------------------------------------------------------------

-- move_shard moves a shard and its co-located shards to another worker group
-- while the application writes; returns the operation id.
CREATE FUNCTION shale.move_shard(shard_id bigint, to_group int) RETURNS bigint
    LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_move_shard';

-- split_shard splits a shard and its co-located shards at split_at (the lower
-- half ends there; the midpoint by default) onto to_groups[1] (lower half) and
-- to_groups[2] (upper half); by default both halves go to the least loaded
-- other group.
CREATE FUNCTION shale.split_shard(shard_id bigint, split_at bigint DEFAULT NULL, to_groups int[] DEFAULT NULL)
    RETURNS bigint
    LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_split_shard';

-- cleanup_operations drops what finished or interrupted moves and splits left
-- on the workers; shaled runs it every few seconds. Returns how many it finished.
CREATE FUNCTION shale.cleanup_operations() RETURNS int
    LANGUAGE C AS 'MODULE_PATHNAME', 'shale_cleanup_operations';

CREATE VIEW shale.operations AS
SELECT operation_id, kind, shard_ids, new_shard_ids, source_group, target_groups, phase,
       bytes_copied, rows_copied, percent_done, write_block_ms, started_at, finished_at, error
FROM shale.operation
ORDER BY operation_id;

-------------------------------------------------------------------------------
-- Rebalancing, draining and automatic splits (driven by shaled)
-------------------------------------------------------------------------------

-- copy_reference_tables gives a worker group its copy of every reference table
-- it lacks (add_node does it for a new group); returns how many it copied.
CREATE FUNCTION shale.copy_reference_tables(group_id int) RETURNS int
    LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_copy_reference_tables';

-- Shard sets: the co-located shards sharing one hash range, which always move
-- together. weight_bytes is their size on disk (at least 1, so that empty
-- shards balance by count). Reference tables are not in any set.
CREATE FUNCTION shale.shard_sets(OUT colocation_id int, OUT hash_min bigint, OUT first_shard_id bigint,
                                 OUT group_id int, OUT weight_bytes bigint, OUT activity bigint)
RETURNS SETOF record
LANGUAGE sql AS $$
    SELECT d.colocation_id, s.hash_min, min(s.shard_id), min(p.group_id),
           greatest(coalesce(sum(stats.size_bytes), 0), 1)::bigint, coalesce(sum(stats.activity), 0)::bigint
    FROM shale.shard s
    JOIN shale.distributed_table d ON d.table_id = s.table_id AND d.kind = 'distributed'
    JOIN shale.placement p ON p.shard_id = s.shard_id
    LEFT JOIN shale.shard_placement_stats() stats ON stats.shard_id = s.shard_id AND stats.group_id = p.group_id
    GROUP BY d.colocation_id, s.hash_min
$$;

-- The activity of each shard set when shaled last sampled it: the automatic
-- load split compares the next sample with it (shale.auto_split_load_window apart).
CREATE TABLE shale.shard_load_sample (
    colocation_id int NOT NULL,
    hash_min      bigint NOT NULL,
    activity      bigint NOT NULL,
    sampled_at    timestamptz NOT NULL,
    PRIMARY KEY (colocation_id, hash_min)
);

-- hot_shard_set samples the activity of every shard set once a window has
-- passed since the last sample, and returns the set that took more than
-- share_limit of all activity since then (at least 1000 scans and writes in
-- all, so an idle cluster never splits), or nothing.
CREATE FUNCTION shale.hot_shard_set(share_limit float8, sample_window interval,
                                    OUT shard_id bigint, OUT share float8, OUT activity bigint)
LANGUAGE plpgsql AS $$
DECLARE
    last_sample timestamptz;
BEGIN
    SELECT min(l.sampled_at) INTO last_sample FROM shale.shard_load_sample l;
    IF last_sample IS NOT NULL AND last_sample > now() - sample_window THEN
        RETURN;
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.load_sets AS SELECT * FROM shale.shard_sets() LIMIT 0;
    TRUNCATE pg_temp.load_sets;
    INSERT INTO pg_temp.load_sets SELECT * FROM shale.shard_sets();
    IF last_sample IS NOT NULL THEN
        -- a set new since the last sample counts from zero; a counter reset (negative delta) too
        SELECT c.first_shard_id, c.delta::float8 / c.total, c.delta INTO shard_id, share, activity
        FROM (SELECT r.first_shard_id, greatest(r.activity - coalesce(l.activity, r.activity), 0) AS delta,
                     sum(greatest(r.activity - coalesce(l.activity, r.activity), 0)) OVER () AS total
              FROM pg_temp.load_sets r
              LEFT JOIN shale.shard_load_sample l ON l.colocation_id = r.colocation_id AND l.hash_min = r.hash_min) c
        WHERE c.total >= 1000 AND c.delta > share_limit * c.total
        ORDER BY c.delta DESC LIMIT 1;
    END IF;
    DELETE FROM shale.shard_load_sample;
    INSERT INTO shale.shard_load_sample SELECT r.colocation_id, r.hash_min, r.activity, now() FROM pg_temp.load_sets r;
END
$$;

-- rebalance asks shaled to even out data size over the active worker groups,
-- one shard move at a time; returns the operation id (see shale.operations).
CREATE FUNCTION shale.rebalance() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    SELECT o.operation_id INTO id FROM shale.operation o
    WHERE o.kind = 'rebalance' AND o.finished_at IS NULL;
    IF FOUND THEN
        RETURN id;  -- one is already queued or running
    END IF;
    INSERT INTO shale.operation (kind, phase) VALUES ('rebalance', 'planned') RETURNING operation_id INTO id;
    INSERT INTO shale.event (kind, detail) VALUES ('rebalance_requested', format('operation %s', id));
    RETURN id;
END
$$;

-- drain_group asks shaled to move every shard off a worker group (before its
-- removal); the group takes no new shards from now on. Returns the operation id.
CREATE FUNCTION shale.drain_group(group_id int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
BEGIN
    IF group_id IS NULL OR NOT EXISTS (SELECT 1 FROM shale.node_group g WHERE g.group_id = drain_group.group_id AND g.group_id > 0) THEN
        RAISE EXCEPTION 'worker group % does not exist', group_id
            USING ERRCODE = 'undefined_object', HINT = 'See SELECT * FROM shale.nodes.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM shale.node_group g WHERE g.group_id > 0 AND g.group_id <> drain_group.group_id AND g.state = 'active') THEN
        RAISE EXCEPTION 'no other active worker group can take the shards of group %', group_id
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Add a worker group first.';
    END IF;
    SELECT o.operation_id INTO id FROM shale.operation o
    WHERE o.kind = 'drain' AND o.source_group = drain_group.group_id AND o.finished_at IS NULL;
    IF FOUND THEN
        RETURN id;
    END IF;
    UPDATE shale.node_group g SET state = 'draining' WHERE g.group_id = drain_group.group_id AND g.state = 'active';
    INSERT INTO shale.operation (kind, source_group, phase) VALUES ('drain', group_id, 'planned')
    RETURNING operation_id INTO id;
    INSERT INTO shale.event (kind, group_id, detail) VALUES ('drain_requested', group_id, format('operation %s', id));
    RETURN id;
END
$$;

-- next_rebalance_move picks the shard set whose move from the heaviest to the
-- lightest active group narrows the gap between them the most, or nothing when
-- the groups are within balance_tolerance of the mean already (or no move helps).
CREATE FUNCTION shale.next_rebalance_move(balance_tolerance float8, OUT shard_id bigint, OUT to_group int)
LANGUAGE plpgsql AS $$
DECLARE
    heaviest record;
    lightest record;
    mean float8;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.rebalance_sets AS SELECT * FROM shale.shard_sets() LIMIT 0;
    TRUNCATE pg_temp.rebalance_sets;
    INSERT INTO pg_temp.rebalance_sets SELECT * FROM shale.shard_sets();
    WITH loads AS (
        SELECT g.group_id, coalesce(sum(r.weight_bytes), 0)::float8 AS load
        FROM shale.node_group g LEFT JOIN pg_temp.rebalance_sets r ON r.group_id = g.group_id
        WHERE g.group_id > 0 AND g.state = 'active' GROUP BY g.group_id)
    SELECT avg(load) INTO mean FROM loads;
    SELECT g.group_id, coalesce(sum(r.weight_bytes), 0)::float8 AS load INTO heaviest
    FROM shale.node_group g LEFT JOIN pg_temp.rebalance_sets r ON r.group_id = g.group_id
    WHERE g.group_id > 0 AND g.state = 'active' GROUP BY g.group_id ORDER BY 2 DESC, 1 LIMIT 1;
    SELECT g.group_id, coalesce(sum(r.weight_bytes), 0)::float8 AS load INTO lightest
    FROM shale.node_group g LEFT JOIN pg_temp.rebalance_sets r ON r.group_id = g.group_id
    WHERE g.group_id > 0 AND g.state = 'active' GROUP BY g.group_id ORDER BY 2, 1 LIMIT 1;
    IF heaviest IS NULL OR heaviest.group_id = lightest.group_id
       OR heaviest.load - mean <= balance_tolerance * mean THEN
        RETURN;
    END IF;
    -- the set that leaves the two closest; it must make the gap smaller
    SELECT r.first_shard_id, lightest.group_id INTO shard_id, to_group
    FROM pg_temp.rebalance_sets r
    WHERE r.group_id = heaviest.group_id
      AND abs((heaviest.load - r.weight_bytes) - (lightest.load + r.weight_bytes)) < heaviest.load - lightest.load
    ORDER BY abs((heaviest.load - r.weight_bytes) - (lightest.load + r.weight_bytes)), r.first_shard_id
    LIMIT 1;
END
$$;

-- auto_split splits a shard set for an automatic policy, recording why as an
-- event; NULL (and nothing done) when no other active group could take the halves.
CREATE FUNCTION shale.auto_split(shard_id bigint, reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    failure text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM shale.node_group g WHERE g.group_id > 0 AND g.state = 'active'
                   AND g.group_id <> (SELECT p.group_id FROM shale.placement p WHERE p.shard_id = auto_split.shard_id LIMIT 1)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO shale.event (kind, detail) VALUES ('auto_split', reason);
    BEGIN
        PERFORM shale.split_shard(shard_id);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
        INSERT INTO shale.event (kind, detail) VALUES ('auto_split_failed', format('shard %s: %s', shard_id, failure));
        RETURN format('automatic split of shard %s failed: %s', shard_id, failure);
    END;
    RETURN format('split shard %s: %s', shard_id, reason);
END
$$;

-- run_scaling_step does the next piece of shard work, one move or split per
-- call, in its own transaction: the oldest queued drain or rebalance first,
-- then the automatic policies (when shale.auto_scaling is on): split a shard
-- set past shale.auto_split_size, and queue a rebalance when the active groups
-- are out of balance by more than shale.rebalance_tolerance (a new group, say).
-- shaled calls it every few seconds; returns what it did, or NULL.
CREATE FUNCTION shale.run_scaling_step() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    job shale.operation;
    tolerance float8 := current_setting('shale.rebalance_tolerance')::float8;
    move record;
    done text;
BEGIN
    -- one step at a time (shaled and a user may both call this): the lock moves and splits take
    PERFORM pg_advisory_xact_lock(7415368002);
    -- drop the old shards of earlier moves first: a long drain would otherwise keep them all to the end
    PERFORM shale.cleanup_operations();
    SELECT * INTO job FROM shale.operation o
    WHERE o.kind IN ('drain', 'rebalance') AND o.finished_at IS NULL ORDER BY o.operation_id LIMIT 1;
    IF FOUND THEN
        IF job.kind = 'drain' THEN
            SELECT r.first_shard_id AS shard_id, target.group_id AS to_group INTO move
            FROM shale.shard_sets() r,
                 LATERAL (SELECT g.group_id FROM shale.node_group g
                          LEFT JOIN shale.placement p ON p.group_id = g.group_id
                          WHERE g.group_id > 0 AND g.state = 'active'
                          GROUP BY g.group_id ORDER BY count(p.shard_id), g.group_id LIMIT 1) target
            WHERE r.group_id = job.source_group ORDER BY r.first_shard_id LIMIT 1;
        ELSE
            SELECT * INTO move FROM shale.next_rebalance_move(tolerance);
        END IF;
        IF move.shard_id IS NULL THEN
            IF job.kind = 'drain' THEN
                -- reference tables have a copy everywhere: the draining group's copy is just dropped from the catalog
                DELETE FROM shale.placement p WHERE p.group_id = job.source_group;
            END IF;
            UPDATE shale.operation SET phase = 'done', percent_done = 100, finished_at = now()
            WHERE operation_id = job.operation_id;
            INSERT INTO shale.event (kind, group_id, detail)
            VALUES (job.kind || '_finished', job.source_group, format('operation %s', job.operation_id));
            RETURN format('%s %s finished', job.kind, job.operation_id);
        END IF;
        IF EXISTS (SELECT 1 FROM shale.distributed_table d JOIN shale.shard s ON s.table_id = d.table_id
                   WHERE d.kind = 'reference' AND NOT EXISTS (SELECT 1 FROM shale.placement p
                                                              WHERE p.shard_id = s.shard_id AND p.group_id = move.to_group)) THEN
            -- joins with reference tables must keep working there: copy them first, in a step of its own
            PERFORM shale.copy_reference_tables(move.to_group);
            RETURN format('copied reference tables to group %s', move.to_group);
        END IF;
        UPDATE shale.operation SET phase = 'moving', shard_ids = shard_ids || move.shard_id
        WHERE operation_id = job.operation_id;
        BEGIN
            PERFORM shale.move_shard(move.shard_id, move.to_group);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS done = MESSAGE_TEXT;
            UPDATE shale.operation SET phase = 'failed', error = done, finished_at = now()
            WHERE operation_id = job.operation_id;
            INSERT INTO shale.event (kind, group_id, detail)
            VALUES (job.kind || '_failed', job.source_group, format('operation %s: %s', job.operation_id, done));
            RETURN format('%s %s failed: %s', job.kind, job.operation_id, done);
        END;
        INSERT INTO shale.event (kind, group_id, detail)
        VALUES (job.kind || '_move', move.to_group,
                format('operation %s moved shard %s to group %s', job.operation_id, move.shard_id, move.to_group));
        RETURN format('%s %s moved shard %s to group %s', job.kind, job.operation_id, move.shard_id, move.to_group);
    END IF;

    IF NOT current_setting('shale.auto_scaling')::boolean THEN
        RETURN NULL;
    END IF;
    -- too big: split the largest set past the threshold
    SELECT r.first_shard_id, r.weight_bytes INTO move FROM shale.shard_sets() r
    WHERE r.weight_bytes > pg_size_bytes(current_setting('shale.auto_split_size'))
    ORDER BY r.weight_bytes DESC LIMIT 1;
    IF FOUND THEN
        done := shale.auto_split(move.first_shard_id,
                                 format('shard %s holds %s, past shale.auto_split_size (%s)', move.first_shard_id,
                                        pg_size_pretty(move.weight_bytes), current_setting('shale.auto_split_size')));
        IF done IS NOT NULL THEN
            RETURN done;
        END IF;
    END IF;
    -- too hot: split the set taking more than shale.auto_split_load_share of the activity
    SELECT * INTO move FROM shale.hot_shard_set(current_setting('shale.auto_split_load_share')::float8,
                                                 current_setting('shale.auto_split_load_window')::interval);
    IF move.shard_id IS NOT NULL AND current_setting('shale.auto_split_load_share')::float8 < 1 THEN
        done := shale.auto_split(move.shard_id,
                                 format('shard %s took %s%% of the scans and writes (%s) over shale.auto_split_load_window, past shale.auto_split_load_share (%s)',
                                        move.shard_id, round((move.share * 100)::numeric, 1), move.activity,
                                        current_setting('shale.auto_split_load_share')));
        IF done IS NOT NULL THEN
            RETURN done;
        END IF;
    END IF;
    -- out of balance (a group was added, or data grew unevenly): queue a rebalance
    SELECT * INTO move FROM shale.next_rebalance_move(tolerance);
    IF move.shard_id IS NOT NULL THEN
        INSERT INTO shale.event (kind, detail)
        VALUES ('auto_rebalance', format('worker groups differ by more than shale.rebalance_tolerance (%s)', tolerance));
        RETURN format('queued rebalance %s', shale.rebalance());
    END IF;
    RETURN NULL;
END
$$;

-- create_restore_point marks the same named point in the WAL of the router and
-- of every worker primary, holding commit decisions of distributed
-- transactions meanwhile, so a restore of every node to that name is
-- consistent. Returns the LSN of the point on each node.
CREATE FUNCTION shale.create_restore_point(name text, OUT group_id int, OUT node text, OUT lsn pg_lsn)
    RETURNS SETOF record
    LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_create_restore_point';

CREATE FUNCTION shale.partial_aggregate_transition(internal, oid, anyelement) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_partial_aggregate_transition';
CREATE FUNCTION shale.partial_aggregate_transition(internal, oid) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_partial_aggregate_transition';
CREATE FUNCTION shale.partial_aggregate_serialize(internal) RETURNS bytea
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_partial_aggregate_serialize';
CREATE AGGREGATE shale.partial_aggregate(oid, anyelement) (
    SFUNC = shale.partial_aggregate_transition, STYPE = internal,
    FINALFUNC = shale.partial_aggregate_serialize);
CREATE AGGREGATE shale.partial_aggregate(oid) (
    SFUNC = shale.partial_aggregate_transition, STYPE = internal,
    FINALFUNC = shale.partial_aggregate_serialize);

-- On the router: combines the partial states and applies the final function.
-- The third argument is a NULL of the result type, which fixes the result type.
CREATE FUNCTION shale.finalize_aggregate_transition(internal, oid, bytea, anyelement) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_finalize_aggregate_transition';
CREATE FUNCTION shale.finalize_aggregate_final(internal, oid, bytea, anyelement) RETURNS anyelement
LANGUAGE C CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'shale_finalize_aggregate_final';
CREATE AGGREGATE shale.finalize_aggregate(oid, bytea, anyelement) (
    SFUNC = shale.finalize_aggregate_transition, STYPE = internal,
    FINALFUNC = shale.finalize_aggregate_final, FINALFUNC_EXTRA);

-- A placeholder the planner replaces by a remote scan of partial aggregates;
-- it is never executed.
CREATE FUNCTION shale.remote_rows(fragment int) RETURNS SETOF record
LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'shale_remote_rows';

-- cancel_for_deadlock ends a router backend's transaction that shaled found in a
-- distributed deadlock: it fails with "distributed deadlock detected" (40P01).
CREATE FUNCTION shale.cancel_for_deadlock(pid int) RETURNS boolean
LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'shale_cancel_for_deadlock';
REVOKE ALL ON FUNCTION shale.cancel_for_deadlock(int) FROM PUBLIC;

-------------------------------------------------------------------------------
-- Privileges: any role may read the catalog views and run queries whose plans
-- use the aggregation functions (on workers too); changing the cluster is for
-- superusers.
-------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA shale TO PUBLIC;
GRANT SELECT ON shale.nodes, shale.tables, shale.shards, shale.node, shale.node_group,
                shale.colocation_group, shale.distributed_table, shale.shard, shale.placement,
                shale.event, shale.operation, shale.node_health, shale.operations, shale.shard_load_sample,
                shale.restore_point TO PUBLIC;
REVOKE ALL ON FUNCTION shale.add_node(text, int, int, text), shale.remove_node(int),
                       shale.set_node_state(int, text), shale.recover_prepared_transactions(),
                       shale.record_event(text, int, int, text), shale.fence_group(int, text),
                       shale.switch_primary(int, text),
                       shale.create_restore_point(text), shale.move_shard(bigint, int),
                       shale.split_shard(bigint, bigint, int[]), shale.cleanup_operations(),
                       shale.rebalance(), shale.drain_group(int), shale.run_scaling_step(),
                       shale.copy_reference_tables(int), shale.auto_split(bigint, text)
    FROM PUBLIC;

-- Query insights (docs/insights.md): measured at the router, kept in bounded shared memory.
CREATE FUNCTION shale.query_stats_rows(OUT query_id bigint, OUT user_id oid, OUT database_id oid, OUT query text,
    OUT calls bigint, OUT errors bigint, OUT total_ms float8, OUT mean_ms float8, OUT min_ms float8,
    OUT max_ms float8, OUT p50_ms float8, OUT p95_ms float8, OUT p99_ms float8, OUT rows bigint,
    OUT rows_from_workers bigint, OUT ran_on text, OUT mean_shards float8, OUT max_shards int,
    OUT top_tenants text, OUT first_seen timestamptz, OUT filter_table oid, OUT filter_column smallint)
    RETURNS SETOF record LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'shale_query_stats_rows';

-- One row per query pattern: a statement with its constants replaced by $n.
CREATE VIEW shale.query_stats AS
    SELECT s.query_id, r.rolname AS user_name, d.datname AS database_name, s.query, s.calls, s.errors,
           round(s.total_ms::numeric, 3) AS total_ms, round(s.mean_ms::numeric, 3) AS mean_ms,
           round(s.min_ms::numeric, 3) AS min_ms, round(s.max_ms::numeric, 3) AS max_ms,
           round(s.p50_ms::numeric, 3) AS p50_ms, round(s.p95_ms::numeric, 3) AS p95_ms,
           round(s.p99_ms::numeric, 3) AS p99_ms, s.rows, s.rows_from_workers, s.ran_on,
           round(s.mean_shards::numeric, 2) AS mean_shards, s.max_shards, s.top_tenants, s.first_seen,
           s.filter_table::regclass AS fanout_filter_table, a.attname AS fanout_filter_column
    FROM shale.query_stats_rows() s
    LEFT JOIN pg_attribute a ON a.attrelid = s.filter_table AND a.attnum = s.filter_column AND NOT a.attisdropped
    LEFT JOIN pg_roles r ON r.oid = s.user_id
    LEFT JOIN pg_database d ON d.oid = s.database_id;

CREATE FUNCTION shale.tenant_stats_rows(OUT table_id oid, OUT tenant text, OUT hash bigint, OUT statements bigint,
    OUT total_ms float8, OUT rows bigint)
    RETURNS SETOF record LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'shale_tenant_stats_rows';

-- The busiest tenants (distribution values) of router statements, with their share of all of them.
CREATE VIEW shale.tenant_stats AS
    SELECT t.table_id::regclass AS table_name, t.tenant, t.hash, t.statements,
           round(t.total_ms::numeric, 3) AS total_ms, t.rows,
           round(100.0 * t.statements / nullif(sum(t.statements) OVER (), 0), 2) AS percent_of_statements
    FROM shale.tenant_stats_rows() t;

CREATE FUNCTION shale.reset_query_stats() RETURNS bigint
    LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'shale_reset_query_stats';

CREATE FUNCTION shale.query_stats_info(OUT patterns bigint, OUT max_patterns int, OUT evicted bigint,
    OUT reset_at timestamptz)
    RETURNS record LANGUAGE C STRICT VOLATILE AS 'MODULE_PATHNAME', 'shale_query_stats_info';

REVOKE ALL ON FUNCTION shale.reset_query_stats() FROM PUBLIC;
