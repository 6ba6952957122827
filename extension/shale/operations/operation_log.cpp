/*
 * operation_log.cpp — the shale.operation row of a running move or split.
 *
 * The operation runs in one router transaction that commits only at the
 * catalog switch, so its row is written through a separate connection to the
 * router itself: shale.operations shows the phase and bytes copied while it
 * runs, and a failed operation stays recorded after its transaction rolls back.
 */
#include "shale/utils/postgres_headers.h"

#include "shale/operations/shard_operation.h"

/*
 * The side connection to the router's own primary (group 0) while an
 * operation runs, by its side_id: if an error skips operation_log_close, the
 * transaction's end closes the connection and log_connection() finds nothing.
 */
static uint64 log_connection_id = 0;

static WorkerConnection *
log_connection(void)
{
	return log_connection_id != 0 ? worker_connection_find_side(log_connection_id) : NULL;
}

/* "{a,b,c}" for an IntList or a list of int64 *. */
static char *
int_array_literal(List *values, bool int64_pointers)
{
	StringInfoData text;
	initStringInfo(&text);
	appendStringInfoChar(&text, '{');
	ListCell *cell;
	foreach (cell, values)
	{
		if (cell != list_head(values))
			appendStringInfoChar(&text, ',');
		if (int64_pointers)
			appendStringInfo(&text, "%lld", (long long) *(int64 *) lfirst(cell));
		else
			appendStringInfo(&text, "%d", lfirst_int(cell));
	}
	appendStringInfoChar(&text, '}');
	return text.data;
}

/* ARRAY['a','b'] of quoted names, as a text[] literal expression. */
static char *
name_array_expression(List *names)
{
	StringInfoData text;
	initStringInfo(&text);
	appendStringInfoString(&text, "ARRAY[");
	ListCell *cell;
	foreach (cell, names)
		appendStringInfo(&text, "%s%s", cell == list_head(names) ? "" : ",", quote_literal_cstr((char *) lfirst(cell)));
	appendStringInfoString(&text, "]::text[]");
	return text.data;
}

int64
operation_log_start(ShardOperation *operation)
{
	List *new_ids = NIL;
	List *source_tables = NIL;
	List *target_tables = NIL;
	List *target_table_groups = NIL;
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		new_ids = lappend(new_ids, &piece->new_shard_id);
		source_tables = list_append_unique(source_tables, makeString(piece->old_name));
		target_tables = lappend(target_tables, makeString(piece->new_name));
		target_table_groups = lappend_int(target_table_groups, piece->target_group);
		if (operation->kind == SHARD_OPERATION_SPLIT)
		{
			/* the staging parent on the target that the subscription writes into (see logical_copy.cpp) */
			target_tables = lappend(target_tables, makeString(piece->old_name));
			target_table_groups = lappend_int(target_table_groups, piece->target_group);
		}
	}
	List *source_names = NIL, *target_names = NIL;
	foreach (cell, source_tables)
		source_names = lappend(source_names, strVal(lfirst(cell)));
	foreach (cell, target_tables)
		target_names = lappend(target_names, strVal(lfirst(cell)));

	operation_log_close(); /* one left by an earlier operation of this transaction */
	WorkerConnection *connection = worker_connection_open_side(0);
	log_connection_id = connection->side_id;
	char *sql = psprintf("INSERT INTO shale.operation (kind, shard_ids, new_shard_ids, source_group, target_groups, "
						 "source_tables, target_tables, target_table_groups, phase) "
						 "VALUES (%s, '%s', '%s', %d, '%s', %s, %s, '%s', 'starting') RETURNING operation_id",
						 quote_literal_cstr(operation->kind == SHARD_OPERATION_MOVE ? "move" : "split"),
						 int_array_literal(operation->old_shard_ids, true), int_array_literal(new_ids, true),
						 operation->source_group, int_array_literal(operation->target_groups, false),
						 name_array_expression(source_names), name_array_expression(target_names),
						 int_array_literal(target_table_groups, false));
	worker_connection_send(connection, sql);
	PGresult *result = worker_connection_receive(connection);
	operation->operation_id = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
	PQclear(result);
	return operation->operation_id;
}

void
operation_log_progress(ShardOperation *operation, const char *phase, int64 bytes, int64 rows)
{
	WorkerConnection *connection = log_connection();
	if (connection == NULL)
		return;
	double percent = operation->source_bytes > 0 ? Min(100.0, 100.0 * bytes / operation->source_bytes) : 0;
	(void) worker_connection_execute_quietly(
		connection, psprintf("UPDATE shale.operation SET phase = %s, bytes_copied = GREATEST(bytes_copied, %lld), "
								 "rows_copied = GREATEST(rows_copied, %lld), percent_done = GREATEST(percent_done, %.2f) "
								 "WHERE operation_id = %lld",
								 quote_literal_cstr(phase), (long long) bytes, (long long) rows, percent,
								 (long long) operation->operation_id));
}

void
operation_log_switched(ShardOperation *operation, long write_block_ms)
{
	WorkerConnection *connection = log_connection();
	if (connection == NULL)
		return;
	(void) worker_connection_execute_quietly(
		connection, psprintf("UPDATE shale.operation SET phase = 'switched', write_block_ms = %ld, "
								 "bytes_copied = GREATEST(bytes_copied, %lld) WHERE operation_id = %lld",
								 write_block_ms, (long long) operation->source_bytes, (long long) operation->operation_id));
}

void
operation_log_failed(ShardOperation *operation, const char *error, bool cleaned_up)
{
	WorkerConnection *connection = log_connection();
	if (connection == NULL || operation->operation_id == 0)
		return;
	(void) worker_connection_execute_quietly(
		connection, psprintf("UPDATE shale.operation SET phase = 'failed', error = %s%s WHERE operation_id = %lld",
								 quote_literal_cstr(error), cleaned_up ? ", finished_at = now()" : "",
								 (long long) operation->operation_id));
}

void
operation_log_close(void)
{
	WorkerConnection *connection = log_connection();
	if (connection != NULL)
		worker_connection_discard(connection);
	log_connection_id = 0;
}
