/*
 * shard_data_copy.cpp — streams rows from the router's local table into shards
 * (through the shard row router) and back (COPY TO STDOUT on a worker feeding
 * PostgreSQL's own COPY FROM into the local table).
 *
 * Values travel in COPY text format. Both ends use ISO dates and postgres
 * interval style with full float precision, so every value round-trips.
 */
#include "shale/utils/postgres_headers.h"

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

#include "shale/commands/shard_data_copy.h"
#include "shale/metadata/distribution_hash.h"
#include "shale/metadata/shard_names.h"
#include "shale/transaction/remote_transaction.h"


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

uint64
copy_local_rows_to_shards(Relation relation, const ShardDestination *destination)
{
	ShardRowRouter *router = shard_row_router_create(relation, destination);
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(relation, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(relation, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		shard_row_router_add(router, slot->tts_values, slot->tts_isnull);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	return shard_row_router_finish(router);
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
