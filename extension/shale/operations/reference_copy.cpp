/*
 * reference_copy.cpp — shale.copy_reference_tables(group_id): gives a worker
 * group its copy of every reference table it lacks, so joins with reference
 * tables work on the shards that move there. add_node runs it for a new
 * group; moves and splits refuse a target that lacks a copy.
 *
 * All in the caller's distributed transaction: the shard tables are created
 * and filled on the group, and the placements recorded on the router, at one
 * commit. Writes to each reference table wait meanwhile (the router holds an
 * EXCLUSIVE lock on it), so the copy is exact; reads go on.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "executor/spi.h"
#include "storage/lmgr.h"
}

#include "shale/commands/shard_ddl.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/operations/shard_operation.h"
#include "shale/transaction/remote_transaction.h"
#include "shale/utils/catalog_access.h"

/* Whether one of the shard's placements is on the group. */
static bool
shard_is_on_group(const ShardEntry *shard, int group_id)
{
	for (int p = 0; p < shard->placement_count; p++)
		if (shard->placement_group_ids[p] == group_id)
			return true;
	return false;
}

List *
reference_tables_missing_on(int group_id)
{
	List *missing = NIL;
	ListCell *cell;
	foreach (cell, distributed_table_ids())
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		if (table != NULL && table->kind == TABLE_KIND_REFERENCE && !shard_is_on_group(&table->shards[0], group_id))
			missing = lappend_oid(missing, table->table_id);
	}
	return missing;
}

/* Streams the rows of a reference shard from one group to another (COPY text). */
static void
copy_shard_between_groups(const char *shard_name, int from_group, int to_group)
{
	WorkerConnection *source = remote_transaction_connection(from_group, false);
	WorkerConnection *target = remote_transaction_connection(to_group, true);
	worker_connection_send(source, psprintf("COPY %s TO STDOUT", shard_name));
	PGresult *result = worker_connection_receive(source);
	bool started = result != NULL && PQresultStatus(result) == PGRES_COPY_OUT;
	if (result != NULL)
		PQclear(result);
	if (!started)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("worker node %s did not start COPY from %s", worker_connection_name(source), shard_name)));
	worker_connection_send(target, psprintf("COPY %s FROM STDIN", shard_name));
	result = worker_connection_receive(target);
	started = result != NULL && PQresultStatus(result) == PGRES_COPY_IN;
	if (result != NULL)
		PQclear(result);
	if (!started)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("worker node %s did not start COPY into %s", worker_connection_name(target), shard_name)));
	char *buffer = NULL;
	int length;
	while ((length = worker_connection_get_copy_data(source, &buffer)) >= 0)
	{
		worker_connection_put_copy_data(target, buffer, length);
		PQfreemem(buffer);
		buffer = NULL;
	}
	worker_connection_end_copy(target);
}

SHALE_FUNCTION(shale_copy_reference_tables)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("group_id must not be NULL"),
						errhint("See SELECT * FROM shale.nodes.")));
	int group_id = PG_GETARG_INT32(0);
	const GroupEntry *group = group_lookup(group_id);
	if (group == NULL || group_id <= 0 || group->primary == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("worker group %d does not exist or has no primary", group_id),
						errhint("See SELECT * FROM shale.nodes.")));
	int copied = 0;
	ListCell *cell;
	foreach (cell, reference_tables_missing_on(group_id))
	{
		Oid table_id = lfirst_oid(cell);
		LockRelationOid(table_id, ExclusiveLock);
		const DistributedTable *table = distributed_table_lookup(table_id);
		const ShardEntry *shard = &table->shards[0];
		if (shard->placement_count == 0 || shard_is_on_group(shard, group_id))
			continue;
		WorkerConnection *target = remote_transaction_connection(group_id, true);
		ListCell *command;
		foreach (command, shard_create_commands(table_id, shard->shard_id))
			worker_connection_execute(target, (char *) lfirst(command));
		copy_shard_between_groups(shard_qualified_name(table_id, shard->shard_id), shard->placement_group_ids[0], group_id);

		CatalogAccess access = begin_catalog_access();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "shale: SPI_connect failed");
		if (SPI_execute(psprintf("INSERT INTO shale.placement (shard_id, group_id) VALUES (%lld, %d)",
								 (long long) shard->shard_id, group_id),
						false, 0) != SPI_OK_INSERT)
			elog(ERROR, "shale: could not record the placement of reference table \"%s\"", get_rel_name(table_id));
		SPI_finish();
		end_catalog_access(access);
		copied++;
	}
	PG_RETURN_INT32(copied);
}
