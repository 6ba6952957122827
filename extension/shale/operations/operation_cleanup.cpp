/*
 * operation_cleanup.cpp — drops what a shard operation leaves on the workers,
 * and shale.cleanup_operations(), which shaled runs every few seconds.
 *
 * Whether an operation switched is read from the catalog, never assumed: if
 * the new placement is there, the targets serve and the source shards go;
 * otherwise the sources serve and the target tables go. Replication objects
 * go either way. So a crash at any point (router, shaled, source, target)
 * leaves nothing live in two places.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/inval.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/operations/shard_operation.h"
#include "shale/utils/catalog_access.h"
#include "shale/utils/subtransaction.h"

/* Drops the subscription of an operation on one target, without touching its (source) slot. */
static void
drop_subscription(WorkerConnection *target, const char *name)
{
	worker_connection_send(target, psprintf("SELECT 1 FROM pg_subscription WHERE subname = %s", quote_literal_cstr(name)));
	PGresult *result = worker_connection_receive(target);
	bool exists = result != NULL && PQntuples(result) > 0;
	if (result != NULL)
		PQclear(result);
	if (!exists)
		return;
	worker_connection_execute(target, psprintf("ALTER SUBSCRIPTION %s DISABLE", name));
	worker_connection_execute(target, psprintf("ALTER SUBSCRIPTION %s SET (slot_name = NONE)", name));
	worker_connection_execute(target, psprintf("DROP SUBSCRIPTION %s", name));
}

/* Drops the slot (ending the walsender still using it) and the publication of one target on the source. */
static void
drop_publication_and_slot(WorkerConnection *source, const char *name)
{
	worker_connection_execute(source, psprintf("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
											   "WHERE slot_name = %s AND active_pid IS NOT NULL",
											   quote_literal_cstr(name)));
	/* a terminated walsender releases its slot a moment later */
	worker_connection_execute(source, psprintf("DO $$ BEGIN FOR i IN 1..100 LOOP "
											   "IF NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = %s AND active) THEN "
											   "PERFORM pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s; "
											   "RETURN; END IF; PERFORM pg_sleep(0.05); END LOOP; "
											   "RAISE EXCEPTION 'replication slot %% is still in use', %s; END $$",
											   quote_literal_cstr(name), quote_literal_cstr(name), quote_literal_cstr(name)));
	worker_connection_execute(source, psprintf("DROP PUBLICATION IF EXISTS %s", name));
}

/*
 * shard_table_is_live says whether the catalog places a shard of that name on
 * the group: such a table serves queries and is never dropped, whatever an
 * operation's record says (a second operation on the same shard must not take
 * the first one's result for its own leftover).
 */
static bool
shard_table_is_live(const char *qualified_name, int group_id)
{
	ListCell *cell;
	foreach (cell, distributed_table_ids())
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		for (int s = 0; table != NULL && s < table->shard_count; s++)
			for (int p = 0; p < table->shards[s].placement_count; p++)
				if (table->shards[s].placement_group_ids[p] == group_id &&
					strcmp(shard_qualified_name(table->table_id, table->shards[s].shard_id), qualified_name) == 0)
					return true;
	}
	return false;
}

/* The named tables (quoted qualified names) held by one group, each once, as a List of String. */
static List *
tables_of_group(List *tables, List *table_groups, int group_id)
{
	List *names = NIL;
	ListCell *table_cell, *group_cell;
	forboth (table_cell, tables, group_cell, table_groups)
		if (lfirst_int(group_cell) == group_id)
			names = list_append_unique(names, makeString((char *) lfirst(table_cell)));
	return names;
}

/*
 * Drops the named tables held by one group, except live shards, in one
 * statement: shards that reference each other by foreign keys go together.
 */
static void
drop_tables_of_group(WorkerConnection *connection, List *tables, List *table_groups, int group_id)
{
	AcceptInvalidationMessages(); /* the catalog as of now, not as of this backend's last look */
	StringInfoData drop;
	initStringInfo(&drop);
	ListCell *cell;
	foreach (cell, tables_of_group(tables, table_groups, group_id))
	{
		const char *name = strVal(lfirst(cell));
		if (shard_table_is_live(name, group_id))
		{
			ereport(WARNING, (errmsg("not dropping %s on worker group %d: the catalog says it serves there", name, group_id)));
			continue;
		}
		appendStringInfo(&drop, "%s%s", drop.len == 0 ? "DROP TABLE IF EXISTS " : ", ", name);
	}
	if (drop.len > 0)
		worker_connection_execute(connection, drop.data);
}

/*
 * A split's target holds, under each source shard's name, a staging parent
 * whose partitions are the new shards: once they serve, they are detached and
 * the empty parent dropped. (On a move's target that name is the moved shard
 * itself, a plain table: it is left alone.)
 */
static void
detach_staging_parents(WorkerConnection *target, List *source_tables)
{
	ListCell *cell;
	foreach (cell, source_tables)
	{
		const char *name = quote_literal_cstr((char *) lfirst(cell));
		worker_connection_execute(target, psprintf("DO $$ DECLARE partition regclass; BEGIN "
												   "IF to_regclass(%s) IS NULL OR (SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)) <> 'p' "
												   "THEN RETURN; END IF; "
												   "FOR partition IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = to_regclass(%s) LOOP "
												   "EXECUTE format('ALTER TABLE %%s DETACH PARTITION %%s', %s, partition); END LOOP; "
												   "EXECUTE format('DROP TABLE %%s', %s); END $$",
												   name, name, name, name, name));
	}
}

/*
 * Whether a group still has a primary in the catalog. A group whose nodes were
 * removed (after a drain) has nothing left to clean; one that is registered
 * but unreachable makes the clean-up fail and be tried again.
 */
static bool
group_is_registered(int group_id)
{
	const GroupEntry *group = group_lookup(group_id);
	return group != NULL && group->primary != NULL;
}

/* The steps of cleanup_operation_leftovers; may raise. */
static void
drop_leftovers(int64 operation_id, int source_group, List *target_groups, List *source_tables, List *target_tables,
			   List *target_table_groups, bool switched, List **opened)
{
	char *delete_marker = psprintf("DELETE FROM shale.operation_marker WHERE operation_id = %lld", (long long) operation_id);
	ListCell *cell;
	foreach (cell, target_groups)
	{
		int target_group = lfirst_int(cell);
		if (!group_is_registered(target_group))
			continue;
		WorkerConnection *target = worker_connection_open_side(target_group);
		*opened = lappend(*opened, target);
		drop_subscription(target, operation_object_name(operation_id, target_group));
		worker_connection_execute(target, delete_marker);
		if (!switched)
			drop_tables_of_group(target, target_tables, target_table_groups, target_group);
		else
		{
			detach_staging_parents(target, source_tables);
			List *names = NIL;
			ListCell *name_cell;
			foreach (name_cell, tables_of_group(target_tables, target_table_groups, target_group))
				names = lappend(names, strVal(lfirst(name_cell)));
			worker_connection_execute(target, validate_foreign_keys_command(names));
		}
	}
	if (!group_is_registered(source_group))
		return;
	WorkerConnection *source = worker_connection_open_side(source_group);
	*opened = lappend(*opened, source);
	foreach (cell, target_groups)
		drop_publication_and_slot(source, operation_object_name(operation_id, lfirst_int(cell)));
	worker_connection_execute(source, delete_marker);
	if (switched)
	{
		List *source_groups = NIL;
		foreach (cell, source_tables)
			source_groups = lappend_int(source_groups, source_group);
		drop_tables_of_group(source, source_tables, source_groups, source_group);
	}
}

/* The arguments of drop_leftovers, for run_in_subtransaction. */
typedef struct LeftoverDrop
{
	int64 operation_id;
	int source_group;
	List *target_groups;
	List *source_tables;
	List *target_tables;
	List *target_table_groups;
	bool switched;
	List *opened; /* side connections to close afterwards, whatever happened */
} LeftoverDrop;

static void
drop_leftovers_of(void *argument)
{
	LeftoverDrop *drop = (LeftoverDrop *) argument;
	drop_leftovers(drop->operation_id, drop->source_group, drop->target_groups, drop->source_tables,
				   drop->target_tables, drop->target_table_groups, drop->switched, &drop->opened);
}

bool
cleanup_operation_leftovers(int64 operation_id, int source_group, List *target_groups, List *source_tables,
							List *target_tables, List *target_table_groups, bool switched)
{
	LeftoverDrop drop = {operation_id, source_group, target_groups, source_tables, target_tables,
						 target_table_groups, switched, NIL};
	ErrorData *error = run_in_subtransaction(drop_leftovers_of, &drop);
	if (error != NULL)
		ereport(WARNING, (errmsg("could not clean up after shard operation %lld: %s", (long long) operation_id, error->message),
						  errhint("shaled tries again within seconds; SELECT shale.cleanup_operations() does it by hand.")));
	ListCell *cell;
	foreach (cell, drop.opened)
		worker_connection_discard((WorkerConnection *) lfirst(cell));
	return error == NULL;
}

/* An int[] or bigint[] column value as an IntList (bigints are narrowed: group ids only). */
static List *
int_list_from_array(Datum array_datum)
{
	ArrayType *array = DatumGetArrayTypeP(array_datum);
	Datum *elements;
	bool *nulls;
	int count;
	deconstruct_array(array, INT4OID, 4, true, TYPALIGN_INT, &elements, &nulls, &count);
	List *values = NIL;
	for (int i = 0; i < count; i++)
		values = lappend_int(values, DatumGetInt32(elements[i]));
	return values;
}

/* A text[] column value as a List of char *. */
static List *
text_list_from_array(Datum array_datum)
{
	ArrayType *array = DatumGetArrayTypeP(array_datum);
	Datum *elements;
	bool *nulls;
	int count;
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
	List *values = NIL;
	for (int i = 0; i < count; i++)
		values = lappend(values, TextDatumGetCString(elements[i]));
	return values;
}

/*
 * shale_cleanup_operations finishes every operation that no backend runs any
 * more: it drops its leftovers and records how it ended. Returns how many.
 */
SHALE_FUNCTION(shale_cleanup_operations)
{
	int finished = 0;
	CatalogAccess access = begin_catalog_access();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	/* held by a running move or split: then it is no leftover yet */
	SPI_execute("SELECT pg_try_advisory_xact_lock(7415368002)", false, 0);
	bool is_null;
	bool no_operation_running =
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
	if (no_operation_running &&
		SPI_execute("SELECT o.operation_id, o.source_group, o.target_groups, o.source_tables, o.target_tables, "
					"o.target_table_groups, EXISTS (SELECT 1 FROM shale.placement p WHERE p.shard_id = o.new_shard_ids[1] "
					"AND p.group_id = o.target_table_groups[1]) AS switched "
					"FROM shale.operation o WHERE o.finished_at IS NULL AND o.kind IN ('move', 'split') ORDER BY 1",
					false, 0) == SPI_OK_SELECT)
	{
		SPITupleTable *operations = SPI_tuptable;
		uint64 count = SPI_processed;
		for (uint64 row = 0; row < count; row++)
		{
			HeapTuple tuple = operations->vals[row];
			TupleDesc descriptor = operations->tupdesc;
			int64 operation_id = DatumGetInt64(SPI_getbinval(tuple, descriptor, 1, &is_null));
			int source_group = DatumGetInt32(SPI_getbinval(tuple, descriptor, 2, &is_null));
			List *target_groups = int_list_from_array(SPI_getbinval(tuple, descriptor, 3, &is_null));
			List *source_tables = text_list_from_array(SPI_getbinval(tuple, descriptor, 4, &is_null));
			List *target_tables = text_list_from_array(SPI_getbinval(tuple, descriptor, 5, &is_null));
			List *target_table_groups = int_list_from_array(SPI_getbinval(tuple, descriptor, 6, &is_null));
			bool switched = DatumGetBool(SPI_getbinval(tuple, descriptor, 7, &is_null));
			if (!cleanup_operation_leftovers(operation_id, source_group, target_groups, source_tables, target_tables,
											 target_table_groups, switched))
				continue;
			char *sql = psprintf("UPDATE shale.operation SET finished_at = now(), "
								 "phase = CASE WHEN %s THEN 'done' WHEN phase = 'failed' THEN 'failed' ELSE 'rolled_back' END, "
								 "percent_done = CASE WHEN %s THEN 100 ELSE percent_done END, "
								 "error = CASE WHEN %s THEN NULL ELSE coalesce(error, 'interrupted before the catalog switch') END "
								 "WHERE operation_id = %lld",
								 switched ? "true" : "false", switched ? "true" : "false", switched ? "true" : "false",
								 (long long) operation_id);
			if (SPI_execute(sql, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "shale: could not record the end of operation %lld", (long long) operation_id);
			finished++;
		}
	}
	SPI_finish();
	end_catalog_access(access);
	PG_RETURN_INT32(finished);
}
