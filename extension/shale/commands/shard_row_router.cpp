/*
 * shard_row_router.cpp — batches rows per shard and streams them to the
 * worker groups over COPY (see shard_row_router.h).
 *
 * Each group has one connection in the distributed transaction. A batch is
 * sent as COPY shard FROM STDIN + data + end, and its result is read only
 * when that connection is needed again (or at the end): meanwhile the router
 * formats the next rows while the worker inserts these.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "utils/guc.h"
}

#include "shale/commands/shard_row_router.h"
#include "shale/metadata/distribution_hash.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/transaction/remote_transaction.h"

/* A shard's rows are sent once they reach this many bytes and its group is free. */
static const int copy_batch_bytes = 256 * 1024;
/* Above this much buffered data, the router waits for a busy group instead of reading on. */
static const int64 copy_buffer_limit = 32 * 1024 * 1024;

struct ShardRowRouter
{
	Relation relation;
	ShardDestination destination;
	char *column_list;
	FmgrInfo *output_functions; /* per attribute; unused for skipped ones */
	bool *copied;				/* per attribute: sent (not dropped, not generated) */
	char **shard_names;
	StringInfoData *buffers;
	List *pending;				/* connections whose last COPY result is unread */
	MemoryContext row_context;
	MemoryContext router_context; /* where the router's own state lives */
	int guc_level;
	uint64 row_count;
	int64 buffered_bytes;
	int rows_since_flush_check;
};

bool
column_is_copied(Form_pg_attribute attribute)
{
	return !attribute->attisdropped && attribute->attgenerated == '\0';
}

char *
copy_column_list(Relation relation)
{
	TupleDesc descriptor = RelationGetDescr(relation);
	StringInfoData list;
	initStringInfo(&list);
	appendStringInfoChar(&list, '(');
	bool first = true;
	for (int i = 0; i < descriptor->natts; i++)
	{
		Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
		if (!column_is_copied(attribute))
			continue;
		appendStringInfo(&list, "%s%s", first ? "" : ", ", quote_identifier(NameStr(attribute->attname)));
		first = false;
	}
	appendStringInfoChar(&list, ')');
	return list.data;
}

ShardDestination
shard_destination_of(Oid table_id)
{
	const DistributedTable *table = distributed_table_lookup(table_id);
	if (table == NULL)
		elog(ERROR, "shale: table %u is not distributed", table_id);
	ShardDestination destination;
	memset(&destination, 0, sizeof(destination));
	destination.shard_count = table->shard_count;
	destination.ranges = table->ranges;
	int64 *shard_ids = (int64 *) palloc(sizeof(int64) * table->shard_count);
	int *group_ids = (int *) palloc(sizeof(int) * table->shard_count);
	for (int s = 0; s < table->shard_count; s++)
	{
		shard_ids[s] = table->shards[s].shard_id;
		group_ids[s] = table->shards[s].placement_group_ids[0];
	}
	destination.shard_ids = shard_ids;
	destination.group_ids = group_ids;
	destination.to_every_group = table->kind == TABLE_KIND_REFERENCE;
	if (destination.to_every_group)
		for (int p = 0; p < table->shards[0].placement_count; p++)
			destination.every_group_ids = lappend_int(destination.every_group_ids,
													  table->shards[0].placement_group_ids[p]);
	destination.distribution_attnum = table->distribution_attnum;
	if (!destination.to_every_group)
	{
		FmgrInfo *hash_function = (FmgrInfo *) palloc(sizeof(FmgrInfo));
		*hash_function = table->hash_function;
		destination.hash_function = hash_function;
	}
	destination.collation = table->distribution_collation;
	return destination;
}

/* Appends a value to a COPY text line, escaping what the format requires. */
static void
append_copy_text(StringInfo line, const char *value)
{
	const char *start = value;
	for (const char *c = value; *c; c++)
	{
		const char *escape = NULL;
		switch (*c)
		{
			case '\\': escape = "\\\\"; break;
			case '\n': escape = "\\n"; break;
			case '\r': escape = "\\r"; break;
			case '\t': escape = "\\t"; break;
			default: break;
		}
		if (escape != NULL)
		{
			appendBinaryStringInfo(line, start, (int) (c - start));
			appendStringInfoString(line, escape);
			start = c + 1;
		}
	}
	appendStringInfoString(line, start);
}

ShardRowRouter *
shard_row_router_create(Relation relation, const ShardDestination *destination)
{
	ShardRowRouter *router = (ShardRowRouter *) palloc0(sizeof(ShardRowRouter));
	router->relation = relation;
	router->destination = *destination;
	router->column_list = copy_column_list(relation);

	/* canonical text formats, so every value round-trips (undone at finish) */
	router->guc_level = NewGUCNestLevel();
	(void) set_config_option("DateStyle", "ISO", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("IntervalStyle", "postgres", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	TupleDesc descriptor = RelationGetDescr(relation);
	router->output_functions = (FmgrInfo *) palloc0(sizeof(FmgrInfo) * descriptor->natts);
	router->copied = (bool *) palloc0(sizeof(bool) * descriptor->natts);
	for (int i = 0; i < descriptor->natts; i++)
	{
		Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
		router->copied[i] = column_is_copied(attribute);
		if (!router->copied[i])
			continue;
		Oid output_function;
		bool is_varlena;
		getTypeOutputInfo(attribute->atttypid, &output_function, &is_varlena);
		fmgr_info(output_function, &router->output_functions[i]);
	}
	router->shard_names = (char **) palloc(sizeof(char *) * destination->shard_count);
	router->buffers = (StringInfoData *) palloc(sizeof(StringInfoData) * destination->shard_count);
	for (int s = 0; s < destination->shard_count; s++)
	{
		router->shard_names[s] = shard_qualified_name(RelationGetRelid(relation), destination->shard_ids[s]);
		initStringInfo(&router->buffers[s]);
	}
	router->row_context = AllocSetContextCreate(CurrentMemoryContext, "shale row routing", ALLOCSET_DEFAULT_SIZES);
	router->router_context = CurrentMemoryContext;
	return router;
}

/* Reads the result of the COPY a connection finished sending earlier. */
static void
collect_pending(ShardRowRouter *router, WorkerConnection *connection)
{
	if (!list_member_ptr(router->pending, connection))
		return;
	router->pending = list_delete_ptr(router->pending, connection);
	PGresult *result = worker_connection_receive(connection);
	if (result != NULL)
		PQclear(result);
}

/*
 * group_is_free says whether a group's connection can take a batch now: it
 * has no COPY in flight, or the worker has finished it (read without waiting).
 */
static bool
group_is_free(ShardRowRouter *router, int group_id)
{
	WorkerConnection *connection = remote_transaction_connection(group_id, true);
	if (!list_member_ptr(router->pending, connection))
		return true;
	if (!PQconsumeInput(connection->pg_connection) || PQisBusy(connection->pg_connection))
		return PQstatus(connection->pg_connection) != CONNECTION_OK; /* a broken one: let the send report it */
	collect_pending(router, connection);
	return true;
}

/* Whether every placement group of a shard can take a batch now. */
static bool
shard_groups_are_free(ShardRowRouter *router, int shard_index)
{
	if (!router->destination.to_every_group)
		return group_is_free(router, router->destination.group_ids[shard_index]);
	ListCell *cell;
	foreach (cell, router->destination.every_group_ids)
		if (!group_is_free(router, lfirst_int(cell)))
			return false;
	return true;
}

/* Starts a COPY of one batch to one group and sends it without waiting for the worker. */
static void
send_batch(ShardRowRouter *router, int group_id, int shard_index)
{
	WorkerConnection *connection = remote_transaction_connection(group_id, true);
	collect_pending(router, connection);
	const char *shard_name = router->shard_names[shard_index];
	worker_connection_send(connection, psprintf("COPY %s %s FROM STDIN", shard_name, router->column_list));
	PGresult *result = worker_connection_receive(connection);
	if (result == NULL || PQresultStatus(result) != PGRES_COPY_IN)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("worker node %s did not start COPY into %s", worker_connection_name(connection), shard_name)));
	PQclear(result);
	StringInfo rows = &router->buffers[shard_index];
	worker_connection_put_copy_data(connection, rows->data, rows->len);
	worker_connection_send_copy_end(connection);
	router->pending = lappend(router->pending, connection);
}

/* Sends a shard's rows to every placement, then empties its buffer. */
static void
flush_shard(ShardRowRouter *router, int shard_index)
{
	if (router->buffers[shard_index].len == 0)
		return;
	if (router->destination.to_every_group)
	{
		ListCell *cell;
		foreach (cell, router->destination.every_group_ids)
			send_batch(router, lfirst_int(cell), shard_index);
	}
	else
		send_batch(router, router->destination.group_ids[shard_index], shard_index);
	router->buffered_bytes -= router->buffers[shard_index].len;
	resetStringInfo(&router->buffers[shard_index]);
}

/*
 * flush_ready sends the batches that are full and whose groups are free; when
 * too much is buffered it sends the largest batch even if that means waiting.
 * So the router keeps reading while every group is busy, and no group waits
 * for data while the router has some for it.
 */
static void
flush_ready(ShardRowRouter *router)
{
	int largest = -1;
	for (int s = 0; s < router->destination.shard_count; s++)
	{
		int length = router->buffers[s].len;
		if (length >= copy_batch_bytes && shard_groups_are_free(router, s))
			flush_shard(router, s);
		else if (length > 0 && (largest < 0 || length > router->buffers[largest].len))
			largest = s;
	}
	if (router->buffered_bytes >= copy_buffer_limit && largest >= 0)
		flush_shard(router, largest);
}

void
shard_row_router_add(ShardRowRouter *router, Datum *values, bool *nulls)
{
	const ShardDestination *destination = &router->destination;
	int shard_index = 0;
	if (!destination->to_every_group)
	{
		int column = destination->distribution_attnum - 1;
		if (nulls[column])
			ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
							errmsg("a row of \"%s\" has a NULL in its distribution column \"%s\"",
								   RelationGetRelationName(router->relation),
								   NameStr(TupleDescAttr(RelationGetDescr(router->relation), column)->attname)),
							errhint("A NULL cannot be placed in a shard: give every row a value in that column.")));
		int64 hash = distribution_hash_datum(destination->hash_function, destination->collation, values[column]);
		shard_index = shale_find_range_index(destination->ranges, destination->shard_count, hash);
	}

	MemoryContext previous = MemoryContextSwitchTo(router->row_context);
	StringInfo line = &router->buffers[shard_index];
	int length_at_start = line->len;
	TupleDesc descriptor = RelationGetDescr(router->relation);
	bool first = true;
	for (int i = 0; i < descriptor->natts; i++)
	{
		if (!router->copied[i])
			continue;
		if (!first)
			appendStringInfoChar(line, '\t');
		first = false;
		if (nulls[i])
			appendStringInfoString(line, "\\N");
		else
			append_copy_text(line, OutputFunctionCall(&router->output_functions[i], values[i]));
	}
	appendStringInfoChar(line, '\n');
	MemoryContextSwitchTo(previous);
	MemoryContextReset(router->row_context);
	router->row_count++;

	router->buffered_bytes += line->len - length_at_start;
	/* look for free groups when a batch fills up, and now and then while full batches wait */
	bool filled_up = length_at_start < copy_batch_bytes && line->len >= copy_batch_bytes;
	if (filled_up || (++router->rows_since_flush_check >= 256 && router->buffered_bytes >= copy_batch_bytes))
	{
		router->rows_since_flush_check = 0;
		/* the list of COPYs in flight must outlive whatever memory the caller is in */
		MemoryContext caller_context = MemoryContextSwitchTo(router->router_context);
		flush_ready(router);
		MemoryContextSwitchTo(caller_context);
	}
}

uint64
shard_row_router_finish(ShardRowRouter *router)
{
	for (int s = 0; s < router->destination.shard_count; s++)
		flush_shard(router, s);
	while (router->pending != NIL)
		collect_pending(router, (WorkerConnection *) linitial(router->pending));
	AtEOXact_GUC(true, router->guc_level);
	return router->row_count;
}
