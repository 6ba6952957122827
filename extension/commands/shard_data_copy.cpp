/*
 * shard_data_copy.cpp — streams rows from the router's local table into shards
 * (COPY FROM STDIN on the workers, in batches per shard) and back (COPY TO
 * STDOUT on a worker feeding PostgreSQL's own COPY FROM into the local table).
 *
 * Values travel in COPY text format. Both ends use ISO dates and postgres
 * interval style with full float precision, so every value round-trips.
 */
#include "utils/postgres_headers.h"

extern "C" {
#include "access/tableam.h"
#include "commands/copy.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
}

#include "commands/shard_data_copy.h"
#include "metadata/distribution_hash.h"
#include "metadata/shard_names.h"
#include "transaction/remote_transaction.h"

/* A shard's pending rows are sent once they reach this many bytes. */
static const int copy_batch_bytes = 1024 * 1024;

static bool
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

/* Appends a value to a COPY text line, escaping what the format requires. */
static void
append_copy_text(StringInfo line, const char *value)
{
	for (const char *c = value; *c; c++)
	{
		switch (*c)
		{
			case '\\': appendStringInfoString(line, "\\\\"); break;
			case '\n': appendStringInfoString(line, "\\n"); break;
			case '\r': appendStringInfoString(line, "\\r"); break;
			case '\t': appendStringInfoString(line, "\\t"); break;
			default: appendStringInfoChar(line, *c); break;
		}
	}
}

/* Sets the canonical text formats for this transaction level; undo with AtEOXact_GUC. */
static int
use_canonical_text_formats(void)
{
	int level = NewGUCNestLevel();
	(void) set_config_option("DateStyle", "ISO", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("IntervalStyle", "postgres", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/* Sends one COPY of buffered rows to a shard placement. */
static void
send_copy_batch(int group_id, const char *shard_name, const char *column_list, StringInfo rows)
{
	WorkerConnection *connection = remote_transaction_connection(group_id, true);
	worker_connection_send(connection, psprintf("COPY %s %s FROM STDIN", shard_name, column_list));
	PGresult *result = worker_connection_receive(connection);
	if (result == NULL || PQresultStatus(result) != PGRES_COPY_IN)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("worker node %s did not start COPY into %s", worker_connection_name(connection), shard_name)));
	PQclear(result);
	worker_connection_put_copy_data(connection, rows->data, rows->len);
	worker_connection_end_copy(connection);
}

/* Sends a shard's pending rows to every placement, then empties the buffer. */
static void
flush_shard_rows(const ShardDestination *destination, int shard_index, const char *shard_name,
				 const char *column_list, StringInfo rows)
{
	if (rows->len == 0)
		return;
	if (destination->to_every_group)
	{
		ListCell *cell;
		foreach (cell, destination->every_group_ids)
			send_copy_batch(lfirst_int(cell), shard_name, column_list, rows);
	}
	else
		send_copy_batch(destination->group_ids[shard_index], shard_name, column_list, rows);
	resetStringInfo(rows);
}

uint64
copy_local_rows_to_shards(Relation relation, const ShardDestination *destination)
{
	int guc_level = use_canonical_text_formats();
	TupleDesc descriptor = RelationGetDescr(relation);
	char *column_list = copy_column_list(relation);

	FmgrInfo *output_functions = (FmgrInfo *) palloc0(sizeof(FmgrInfo) * descriptor->natts);
	for (int i = 0; i < descriptor->natts; i++)
	{
		Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
		if (!column_is_copied(attribute))
			continue;
		Oid output_function;
		bool is_varlena;
		getTypeOutputInfo(attribute->atttypid, &output_function, &is_varlena);
		fmgr_info(output_function, &output_functions[i]);
	}

	char **shard_names = (char **) palloc(sizeof(char *) * destination->shard_count);
	StringInfoData *buffers = (StringInfoData *) palloc(sizeof(StringInfoData) * destination->shard_count);
	for (int s = 0; s < destination->shard_count; s++)
	{
		shard_names[s] = shard_qualified_name(RelationGetRelid(relation), destination->shard_ids[s]);
		initStringInfo(&buffers[s]);
	}

	MemoryContext row_context = AllocSetContextCreate(CurrentMemoryContext, "shale row copy", ALLOCSET_DEFAULT_SIZES);
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(relation, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(relation, NULL);
	uint64 row_count = 0;

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		int shard_index = 0;
		if (!destination->to_every_group)
		{
			int column = destination->distribution_attnum - 1;
			if (slot->tts_isnull[column])
				ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
								errmsg("table \"%s\" has a row whose distribution column \"%s\" is NULL",
									   RelationGetRelationName(relation),
									   NameStr(TupleDescAttr(descriptor, column)->attname)),
								errhint("Delete or fix such rows first; a NULL cannot be placed in a shard.")));
			int64 hash = distribution_hash_datum(destination->hash_function, destination->collation,
												 slot->tts_values[column]);
			shard_index = shale_find_range_index(destination->ranges, destination->shard_count, hash);
		}

		MemoryContext previous = MemoryContextSwitchTo(row_context);
		StringInfo line = &buffers[shard_index];
		bool first = true;
		for (int i = 0; i < descriptor->natts; i++)
		{
			if (!column_is_copied(TupleDescAttr(descriptor, i)))
				continue;
			if (!first)
				appendStringInfoChar(line, '\t');
			first = false;
			if (slot->tts_isnull[i])
				appendStringInfoString(line, "\\N");
			else
				append_copy_text(line, OutputFunctionCall(&output_functions[i], slot->tts_values[i]));
		}
		appendStringInfoChar(line, '\n');
		MemoryContextSwitchTo(previous);
		MemoryContextReset(row_context);

		if (line->len >= copy_batch_bytes)
			flush_shard_rows(destination, shard_index, shard_names[shard_index], column_list, line);
		row_count++;
	}

	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	for (int s = 0; s < destination->shard_count; s++)
		flush_shard_rows(destination, s, shard_names[s], column_list, &buffers[s]);
	AtEOXact_GUC(true, guc_level);
	return row_count;
}

/* State of the COPY TO STDOUT that feeds the local COPY FROM (its callback has no argument). */
static WorkerConnection *copy_source = NULL;
static char *copy_pending = NULL;
static int copy_pending_length = 0;
static int copy_pending_offset = 0;

/* copy_data_from_worker is COPY FROM's data source: rows as the worker sends them. */
static int
copy_data_from_worker(void *output, int minimum, int maximum)
{
	int copied = 0;
	while (copied < maximum)
	{
		if (copy_pending_offset >= copy_pending_length)
		{
			if (copy_pending != NULL)
				PQfreemem(copy_pending);
			copy_pending = NULL;
			copy_pending_length = copy_pending_offset = 0;
			if (copied >= minimum && copied > 0)
				break;
			char *buffer = NULL;
			int length = worker_connection_get_copy_data(copy_source, &buffer);
			if (length < 0)
				break; /* end of data */
			copy_pending = buffer;
			copy_pending_length = length;
		}
		int available = copy_pending_length - copy_pending_offset;
		int take = Min(available, maximum - copied);
		memcpy((char *) output + copied, copy_pending + copy_pending_offset, take);
		copy_pending_offset += take;
		copied += take;
	}
	return copied;
}

uint64
copy_shard_rows_to_local(Relation relation, int group_id, int64 shard_id)
{
	int guc_level = use_canonical_text_formats();
	WorkerConnection *connection = remote_transaction_connection(group_id, false);
	char *shard_name = shard_qualified_name(RelationGetRelid(relation), shard_id);
	worker_connection_send(connection, psprintf("COPY %s %s TO STDOUT", shard_name, copy_column_list(relation)));
	PGresult *result = worker_connection_receive(connection);
	if (result == NULL || PQresultStatus(result) != PGRES_COPY_OUT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("worker node %s did not start COPY from %s", worker_connection_name(connection), shard_name)));
	PQclear(result);

	List *column_names = NIL;
	TupleDesc descriptor = RelationGetDescr(relation);
	for (int i = 0; i < descriptor->natts; i++)
		if (column_is_copied(TupleDescAttr(descriptor, i)))
			column_names = lappend(column_names, makeString(pstrdup(NameStr(TupleDescAttr(descriptor, i)->attname))));

	copy_source = connection;
	copy_pending = NULL;
	copy_pending_length = copy_pending_offset = 0;
	/* COPY FROM finds its target through the range table, as DoCopy builds it */
	ParseState *parse_state = make_parsestate(NULL);
	(void) addRangeTableEntryForRelation(parse_state, relation, RowExclusiveLock, NULL, false, false);
	CopyFromState copy_state =
		BeginCopyFrom(parse_state, relation, NULL, NULL, false, copy_data_from_worker, column_names, NIL);
	uint64 row_count = CopyFrom(copy_state);
	EndCopyFrom(copy_state);
	copy_source = NULL;
	AtEOXact_GUC(true, guc_level);
	return row_count;
}
