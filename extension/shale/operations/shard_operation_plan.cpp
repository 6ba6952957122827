/*
 * shard_operation_plan.cpp — checks a move or split request and works out its
 * pieces: for every table co-located with the shard, the shard that holds the
 * same hash range, and what becomes of it.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "utils/syscache.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_ids.h"
#include "shale/metadata/shard_names.h"
#include "shale/operations/shard_operation.h"

char *
operation_object_name(int64 operation_id, int target_group)
{
	return psprintf("shale_op_%lld_g%d", (long long) operation_id, target_group);
}

/* The table and index of a shard id among the distributed tables; ERROR if none. */
static const DistributedTable *
find_shard(int64 shard_id, int *shard_index)
{
	ListCell *cell;
	foreach (cell, distributed_table_ids())
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		for (int s = 0; table != NULL && s < table->shard_count; s++)
			if (table->shards[s].shard_id == shard_id)
			{
				if (table->kind == TABLE_KIND_REFERENCE)
					ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("shard %lld belongs to reference table \"%s\"", (long long) shard_id,
										   get_rel_name(table->table_id)),
									errhint("Reference tables have a copy in every worker group; they are not moved or split.")));
				*shard_index = s;
				return table;
			}
	}
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("shard %lld does not exist", (long long) shard_id),
					errhint("See SELECT * FROM shale.shards.")));
	return NULL;
}

/* Refuses a target group that cannot take shards. */
static void
check_target_group(int group_id, int source_group)
{
	const GroupEntry *group = group_lookup(group_id);
	if (group == NULL || group_id <= 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("worker group %d does not exist", group_id),
						errhint("See SELECT * FROM shale.nodes.")));
	if (!group->accepts_shards || group->primary == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("worker group %d does not accept shards now", group_id),
						errhint("It is being drained, or failing over: see SELECT * FROM shale.nodes.")));
	if (group_id == source_group)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("the shard is already on worker group %d", group_id),
						errhint("Name another group as the target.")));
	List *missing = reference_tables_missing_on(group_id);
	if (missing != NIL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("worker group %d has no copy of reference table \"%s\"", group_id,
							   get_rel_name(linitial_oid(missing))),
						errhint("Run SELECT shale.copy_reference_tables(%d) first, so joins keep working there.", group_id)));
}

/*
 * check_replica_identity refuses a table logical replication cannot copy
 * updates and deletes of: no primary key and no replica identity. A split
 * also filters rows on the distribution column, which must then be part of
 * the identity.
 */
static void
check_replica_identity(const DistributedTable *table, bool filters_rows)
{
	Relation relation = table_open(table->table_id, AccessShareLock);
	char identity = relation->rd_rel->relreplident;
	Oid identity_index = RelationGetReplicaIndex(relation);
	const char *name = RelationGetRelationName(relation);
	if (identity == REPLICA_IDENTITY_NOTHING || (identity != REPLICA_IDENTITY_FULL && !OidIsValid(identity_index)))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("cannot move or split shards of table \"%s\": it has no replica identity", name),
						errhint("Add a primary key, or run ALTER TABLE %s REPLICA IDENTITY FULL.", quote_identifier(name))));
	if (filters_rows && identity != REPLICA_IDENTITY_FULL)
	{
		HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(identity_index));
		bool covered = false;
		if (HeapTupleIsValid(tuple))
		{
			Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
			for (int k = 0; k < index->indnkeyatts; k++)
				covered |= index->indkey.values[k] == table->distribution_attnum;
			ReleaseSysCache(tuple);
		}
		if (!covered)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							errmsg("cannot split shards of table \"%s\": its replica identity does not include the distribution column", name),
							errhint("Use a primary key that includes it, or ALTER TABLE %s REPLICA IDENTITY FULL.",
									quote_identifier(name))));
	}
	table_close(relation, AccessShareLock);
}

/* Starts an operation over every table co-located with the shard. */
static ShardOperation *
new_operation(ShardOperationKind kind, int64 shard_id, const DistributedTable **first_table, int *shard_index)
{
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("only a superuser may move or split shards")));
	/*
	 * An explicit transaction block would hold the write block until its
	 * COMMIT. (A subtransaction is let through: shale.run_scaling_step()
	 * catches a failed move in one, and commits right after.)
	 */
	if (IsTransactionBlock() && GetCurrentTransactionNestLevel() == 1)
		ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						errmsg("shard moves and splits cannot run inside a transaction block"),
						errhint("Run it as a statement of its own, not after BEGIN or in a multi-statement string: "
								"the write block at its end lasts until it commits.")));
	ShardOperation *operation = (ShardOperation *) palloc0(sizeof(ShardOperation));
	operation->kind = kind;
	*first_table = find_shard(shard_id, shard_index);
	operation->source_group = (*first_table)->shards[*shard_index].placement_group_ids[0];
	return operation;
}

/* Adds a piece for one table's shard. */
static void
add_piece(ShardOperation *operation, const DistributedTable *table, const ShardEntry *shard, int64 new_shard_id,
		  int64 hash_min, int64 hash_max, int target_group)
{
	ShardPiece *piece = (ShardPiece *) palloc0(sizeof(ShardPiece));
	piece->table_id = table->table_id;
	piece->old_shard_id = shard->shard_id;
	piece->new_shard_id = new_shard_id;
	piece->hash_min = hash_min;
	piece->hash_max = hash_max;
	piece->target_group = target_group;
	piece->old_name = shard_qualified_name(table->table_id, shard->shard_id);
	piece->new_name = shard_qualified_name(table->table_id, new_shard_id);
	operation->pieces = lappend(operation->pieces, piece);
	operation->target_groups = list_append_unique_int(operation->target_groups, target_group);
	operation->table_ids = list_append_unique_oid(operation->table_ids, table->table_id);
	bool seen = false;
	ListCell *cell;
	foreach (cell, operation->old_shard_ids)
		seen |= *(int64 *) lfirst(cell) == shard->shard_id;
	if (!seen)
	{
		int64 *old_id = (int64 *) palloc(sizeof(int64));
		*old_id = shard->shard_id;
		operation->old_shard_ids = lappend(operation->old_shard_ids, old_id);
	}
}

/* The co-located tables of a table (itself included), each with the shard of the same range. */
static List *
colocated_tables(const DistributedTable *first_table)
{
	List *tables = NIL;
	ListCell *cell;
	foreach (cell, distributed_table_ids())
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		if (table != NULL && table->kind == TABLE_KIND_DISTRIBUTED && table->colocation_id == first_table->colocation_id)
			tables = lappend(tables, (void *) table);
	}
	return tables;
}

ShardOperation *
plan_shard_move(int64 shard_id, int to_group)
{
	const DistributedTable *first_table;
	int shard_index;
	ShardOperation *operation = new_operation(SHARD_OPERATION_MOVE, shard_id, &first_table, &shard_index);
	check_target_group(to_group, operation->source_group);
	ListCell *cell;
	foreach (cell, colocated_tables(first_table))
	{
		const DistributedTable *table = (const DistributedTable *) lfirst(cell);
		check_replica_identity(table, false);
		const ShardEntry *shard = &table->shards[shard_index];
		add_piece(operation, table, shard, shard->shard_id, shard->hash_min, shard->hash_max, to_group);
	}
	return operation;
}

ShardOperation *
plan_shard_split(int64 shard_id, int64 split_at, int lower_group, int upper_group)
{
	const DistributedTable *first_table;
	int shard_index;
	ShardOperation *operation = new_operation(SHARD_OPERATION_SPLIT, shard_id, &first_table, &shard_index);
	const ShardEntry *first_shard = &first_table->shards[shard_index];
	if (split_at < first_shard->hash_min || split_at >= first_shard->hash_max)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("split point %lld is not inside shard %lld", (long long) split_at, (long long) shard_id),
						errdetail("The shard holds hashes %lld to %lld; the lower half ends at the split point.",
								  (long long) first_shard->hash_min, (long long) first_shard->hash_max),
						errhint("Pick a value from hash_min up to hash_max - 1, or leave it NULL for the midpoint.")));
	check_target_group(lower_group, operation->source_group);
	check_target_group(upper_group, operation->source_group);
	ListCell *cell;
	foreach (cell, colocated_tables(first_table))
	{
		const DistributedTable *table = (const DistributedTable *) lfirst(cell);
		check_replica_identity(table, lower_group != upper_group);
		if (!OidIsValid(table->hash_function.fn_oid) || table->hash_function.fn_oid >= FirstNormalObjectId)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("cannot split shards of table \"%s\": its distribution type hashes with a user-defined function",
								   get_rel_name(table->table_id)),
							errhint("Move the shard instead.")));
		const ShardEntry *shard = &table->shards[shard_index];
		add_piece(operation, table, shard, next_shard_id(), shard->hash_min, split_at, lower_group);
		add_piece(operation, table, shard, next_shard_id(), split_at + 1, shard->hash_max, upper_group);
	}
	return operation;
}
