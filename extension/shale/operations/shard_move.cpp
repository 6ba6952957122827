/*
 * shard_move.cpp — shale.move_shard and shale.split_shard: run an online
 * shard operation from start to catalog switch.
 *
 *   copy       logical replication copies the shards while writes go on
 *   catch up   until a marker written on the source shows on the targets
 *              within a moment
 *   cutover    writes to the co-located tables are blocked at the router
 *              (LOCK ... IN EXCLUSIVE MODE: reads go on), the last changes
 *              are applied, the subscriptions stop and the catalog switches;
 *              the block ends when the function's transaction commits
 *   clean-up   shaled drops the source shards and replication objects
 *              (shale.cleanup_operations), as it does after a crash
 * Every wait is bounded: past shale.cutover_timeout the operation rolls back
 * and the source shards keep serving.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/timestamp.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/operations/shard_operation.h"
#include "shale/utils/catalog_access.h"
#include "shale/utils/subtransaction.h"

/* The advisory lock key that serializes shard operations (shaled's leader lock is ...001). */
#define SHARD_OPERATION_LOCK_KEY "7415368002"

static int shard_copy_timeout_ms = 3600 * 1000;
static int cutover_timeout_ms = 1000;
/* crash tests: pauses where a kill must leave a clean state */
static int fault_pause_before_cutover_ms = 0;
/* read by shale.run_scaling_step() through current_setting() */
static bool auto_scaling = true;
static int auto_split_size_mb = 10 * 1024;
static double rebalance_tolerance = 0.1;
static double auto_split_load_share = 0.5;
static int auto_split_load_window_s = 300;
static int fault_pause_after_switch_ms = 0;

/* Defines the settings of shard operations (called from _PG_init). */
void
shard_operation_define_settings(void)
{
	DefineCustomIntVariable("shale.shard_copy_timeout", "Longest initial copy of a shard move or split.", NULL,
							&shard_copy_timeout_ms, 3600 * 1000, 1000, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.cutover_timeout",
							"Longest write block of a shard move or split before it gives up and rolls back.",
							"Covers waiting for running writes to finish and for the targets to apply the last changes.",
							&cutover_timeout_ms, 1000, 10, 600 * 1000, PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomBoolVariable("shale.auto_scaling", "Lets shaled split big shards and rebalance worker groups by itself.",
							 "Queued rebalances and drains run either way.", &auto_scaling, true, PGC_SIGHUP, 0, NULL,
							 NULL, NULL);
	DefineCustomIntVariable("shale.auto_split_size", "Size of a shard (with its co-located shards) that shaled splits.",
							NULL, &auto_split_size_mb, 10 * 1024, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_MB, NULL, NULL, NULL);
	DefineCustomRealVariable("shale.rebalance_tolerance",
							 "How far above the mean a worker group's data may grow before shaled rebalances.",
							 "A fraction of the mean size per active group: 0.1 is 10%.", &rebalance_tolerance, 0.1,
							 0.01, 10.0, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("shale.auto_split_load_share",
							 "Share of the cluster's scans and writes above which shaled splits a shard.",
							 "Measured over shale.auto_split_load_window; 1 turns load splits off.",
							 &auto_split_load_share, 0.5, 0.01, 1.0, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.auto_split_load_window", "Window over which shard activity is compared.", NULL,
							&auto_split_load_window_s, 300, 10, 86400, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.fault_pause_before_cutover", "For crash tests: pause after the copy, before writes are blocked.",
							NULL, &fault_pause_before_cutover_ms, 0, 0, 3600 * 1000, PGC_SUSET,
							GUC_UNIT_MS | GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.fault_pause_after_switch",
							"For crash tests: pause after the catalog switch, before the operation commits.", NULL,
							&fault_pause_after_switch_ms, 0, 0, 3600 * 1000, PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

/* Blocks writes to the operation's tables at the router (reads go on); ERROR after the cutover timeout. */
static void
block_writes(ShardOperation *operation)
{
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "LOCK TABLE ");
	ListCell *cell;
	foreach (cell, operation->table_ids)
	{
		Oid table_id = lfirst_oid(cell);
		appendStringInfo(&sql, "%s%s", cell == list_head(operation->table_ids) ? "" : ", ",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(table_id)), get_rel_name(table_id)));
	}
	appendStringInfoString(&sql, " IN EXCLUSIVE MODE");
	(void) set_config_option("lock_timeout", psprintf("%d", cutover_timeout_ms), PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	if (SPI_execute(sql.data, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "shale: could not block writes");
	SPI_finish();
}

/*
 * Waits until the source has no prepared shale transaction: one prepared
 * before the block could still commit there after the switch.
 */
static void
wait_for_prepared_transactions(ShardOperation *operation, TimestampTz deadline)
{
	for (;;)
	{
		worker_connection_send(operation->source, "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'shale\\_%'");
		PGresult *result = worker_connection_receive(operation->source);
		int prepared = result != NULL && PQntuples(result) == 1 ? atoi(PQgetvalue(result, 0, 0)) : 1;
		if (result != NULL)
			PQclear(result);
		if (prepared == 0)
			return;
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE),
							errmsg("prepared transactions on the source did not finish within shale.cutover_timeout"),
							errhint("Two-phase commit recovery finishes them within seconds; run the operation again.")));
		operation_pause_ms(2);
	}
}

/* Points the catalog at the new shards (in this transaction) and drops cached plans of the tables. */
static void
switch_catalog(ShardOperation *operation)
{
	StringInfoData sql;
	initStringInfo(&sql);
	ListCell *cell;
	if (operation->kind == SHARD_OPERATION_MOVE)
	{
		foreach (cell, operation->pieces)
		{
			ShardPiece *piece = (ShardPiece *) lfirst(cell);
			appendStringInfo(&sql, "UPDATE shale.placement SET group_id = %d WHERE shard_id = %lld AND group_id = %d;",
							 piece->target_group, (long long) piece->old_shard_id, operation->source_group);
		}
	}
	else
	{
		foreach (cell, operation->old_shard_ids)
			appendStringInfo(&sql, "DELETE FROM shale.shard WHERE shard_id = %lld;", (long long) *(int64 *) lfirst(cell));
		foreach (cell, operation->pieces)
		{
			ShardPiece *piece = (ShardPiece *) lfirst(cell);
			appendStringInfo(&sql,
							 "INSERT INTO shale.shard (shard_id, table_id, hash_min, hash_max) VALUES (%lld, %u, %lld, %lld);"
							 "INSERT INTO shale.placement (shard_id, group_id) VALUES (%lld, %d);",
							 (long long) piece->new_shard_id, piece->table_id, (long long) piece->hash_min,
							 (long long) piece->hash_max, (long long) piece->new_shard_id, piece->target_group);
		}
	}
	CatalogAccess access = begin_catalog_access();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	if (SPI_execute(sql.data, false, 0) < 0)
		elog(ERROR, "shale: could not switch the catalog to the new shards");
	SPI_finish();
	end_catalog_access(access);
	/* cached plans list the shards they prune to: make them replan */
	foreach (cell, operation->table_ids)
		CacheInvalidateRelcacheByRelid(lfirst_oid(cell));
}

/* Copies, catches up, blocks writes, catches up the last changes and switches the catalog. */
static void
run_operation_steps(ShardOperation *operation)
{
	logical_copy_start(operation);
	operation_log_progress(operation, "copying", 0, 0);
	logical_copy_wait_synced(operation, shard_copy_timeout_ms);

	/* catch up with writes still going on until one round trip is quick, so the block will be short */
	TimestampTz give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), Max(shard_copy_timeout_ms / 10, 30000));
	for (;;)
	{
		TimestampTz started = GetCurrentTimestamp();
		bool caught_up = logical_copy_catch_up(operation, Max(cutover_timeout_ms, 5000));
		if (caught_up && TimestampDifferenceMilliseconds(started, GetCurrentTimestamp()) < cutover_timeout_ms / 4)
			break;
		if (GetCurrentTimestamp() >= give_up)
			ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
							errmsg("the targets of operation %lld do not catch up with the writes", (long long) operation->operation_id),
							errhint("Run it again when the write load is lower, or raise shale.cutover_timeout.")));
	}

	operation_log_progress(operation, "cutover", operation->source_bytes, 0);
	operation_pause_ms(fault_pause_before_cutover_ms);
	block_writes(operation);
	operation->writes_blocked = true;
	TimestampTz blocked_at = GetCurrentTimestamp();
	TimestampTz deadline = TimestampTzPlusMilliseconds(blocked_at, cutover_timeout_ms);
	wait_for_prepared_transactions(operation, deadline);
	long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
	if (!logical_copy_catch_up(operation, (int) Max(remaining, 1)))
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
						errmsg("the targets of operation %lld did not apply the last writes within shale.cutover_timeout",
							   (long long) operation->operation_id),
						errhint("The source shards keep serving; run the operation again.")));
	add_target_foreign_keys(operation, TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline));
	/* the subscriptions and a split's staging parents stay until clean-up: nothing writes the sources any more */
	switch_catalog(operation);
	long blocked_ms = TimestampDifferenceMilliseconds(blocked_at, GetCurrentTimestamp());
	operation_log_switched(operation, blocked_ms);
	operation_pause_ms(fault_pause_after_switch_ms);
	ereport(NOTICE, (errmsg("operation %lld switched to the new shards; writes were blocked for %ld ms",
							(long long) operation->operation_id, blocked_ms),
					 errdetail("shaled drops the old shards within seconds (shale.cleanup_operations()).")));
}

/* run_operation_steps for run_in_subtransaction. */
static void
run_operation_steps_of(void *operation)
{
	run_operation_steps((ShardOperation *) operation);
}

/* Closes the operation's side connections (never raises). */
static void
close_operation_connections(ShardOperation *operation)
{
	if (operation->source != NULL)
		worker_connection_discard(operation->source);
	operation->source = NULL;
	ListCell *cell;
	foreach (cell, operation->targets)
		worker_connection_discard((WorkerConnection *) lfirst(cell));
	operation->targets = NIL;
}

/* Lists for cleanup_operation_leftovers from the pieces. */
static void
operation_table_lists(ShardOperation *operation, List **source_tables, List **target_tables, List **target_groups)
{
	*source_tables = *target_tables = *target_groups = NIL;
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		*source_tables = lappend(*source_tables, piece->old_name);
		*target_tables = lappend(*target_tables, piece->new_name);
		*target_groups = lappend_int(*target_groups, piece->target_group);
		if (operation->kind == SHARD_OPERATION_SPLIT)
		{
			*target_tables = lappend(*target_tables, piece->old_name);
			*target_groups = lappend_int(*target_groups, piece->target_group);
		}
	}
}

/*
 * take_operation_lock serialises shard operations, and must come before the
 * plan: an operation planned before another one finished would work from where
 * the shards were, not where they are. Invalidations are read after the lock,
 * so the plan sees every earlier operation's catalog switch.
 */
static void
take_operation_lock(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	SPI_execute("SELECT pg_advisory_xact_lock(" SHARD_OPERATION_LOCK_KEY ")", false, 0);
	SPI_finish();
	AcceptInvalidationMessages();
}

/*
 * run_shard_operation runs the steps in a subtransaction: on an error the
 * write block ends at once, the targets' leftovers are dropped, the operation
 * is recorded as failed, and the error is raised again.
 */
static int64
run_shard_operation(ShardOperation *operation)
{
	operation_log_start(operation);

	ErrorData *error = run_in_subtransaction(run_operation_steps_of, operation);
	if (error != NULL)
	{
		if (error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE && !operation->writes_blocked)
		{
			error->detail = error->message;
			error->message = psprintf("could not block writes to the shards within shale.cutover_timeout (%d ms)",
									  cutover_timeout_ms);
			error->hint = pstrdup("Long transactions are writing to these tables; the source shards keep serving. "
								  "Run the operation again.");
		}
		List *source_tables, *target_tables, *target_groups;
		operation_table_lists(operation, &source_tables, &target_tables, &target_groups);
		close_operation_connections(operation);
		bool cleaned = cleanup_operation_leftovers(operation->operation_id, operation->source_group,
												   operation->target_groups, source_tables, target_tables, target_groups,
												   false);
		operation_log_failed(operation, error->message, cleaned);
		operation_log_close();
		ReThrowError(error);
	}
	close_operation_connections(operation);
	operation_log_close();
	return operation->operation_id;
}

SHALE_FUNCTION(shale_move_shard)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("shard_id and to_group must not be NULL"),
						errhint("See SELECT * FROM shale.shards for shard ids and groups.")));
	take_operation_lock();
	ShardOperation *operation = plan_shard_move(PG_GETARG_INT64(0), PG_GETARG_INT32(1));
	PG_RETURN_INT64(run_shard_operation(operation));
}

/* The midpoint of a shard's hash range, rounded down. */
static int64
range_midpoint(int64 shard_id)
{
	ListCell *cell;
	foreach (cell, distributed_table_ids())
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		for (int s = 0; table != NULL && s < table->shard_count; s++)
			if (table->shards[s].shard_id == shard_id)
				return (int64) (((__int128) table->shards[s].hash_min + table->shards[s].hash_max) >> 1);
	}
	return 0; /* plan_shard_split reports the unknown shard */
}

/*
 * The writable worker group, other than the shard's own, holding the fewest
 * shards: where both halves of a split go by default. A split writes into
 * tables named like the source shard, so the halves cannot stay on its group.
 */
static int
least_loaded_other_group(int64 shard_id)
{
	int source_group = -1;
	List *group_ids = writable_worker_group_ids();
	int *counts = (int *) palloc0(sizeof(int) * (list_length(group_ids) + 1));
	ListCell *cell;
	foreach (cell, distributed_table_ids())
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		for (int s = 0; table != NULL && s < table->shard_count; s++)
		{
			int group = table->shards[s].placement_group_ids[0];
			if (table->shards[s].shard_id == shard_id)
				source_group = group;
			for (int g = 0; table->kind == TABLE_KIND_DISTRIBUTED && g < list_length(group_ids); g++)
				counts[g] += list_nth_int(group_ids, g) == group;
		}
	}
	int best = -1;
	for (int g = 0; g < list_length(group_ids); g++)
		if (list_nth_int(group_ids, g) != source_group && group_lookup(list_nth_int(group_ids, g))->accepts_shards &&
			(best < 0 || counts[g] < counts[best]))
			best = g;
	if (best < 0)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("no other worker group can take the halves of shard %lld", (long long) shard_id),
						errhint("Add a worker group with shale.add_node(), then split again.")));
	return list_nth_int(group_ids, best);
}

SHALE_FUNCTION(shale_split_shard)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("shard_id must not be NULL"),
						errhint("See SELECT * FROM shale.shards for shard ids.")));
	int64 shard_id = PG_GETARG_INT64(0);
	take_operation_lock();
	int64 split_at = PG_ARGISNULL(1) ? range_midpoint(shard_id) : PG_GETARG_INT64(1);
	if (PG_ARGISNULL(2))
	{
		int group = least_loaded_other_group(shard_id);
		ShardOperation *operation = plan_shard_split(shard_id, split_at, group, group);
		PG_RETURN_INT64(run_shard_operation(operation));
	}
	ArrayType *groups = PG_GETARG_ARRAYTYPE_P(2);
	Datum *elements;
	bool *nulls;
	int count;
	deconstruct_array(groups, INT4OID, 4, true, TYPALIGN_INT, &elements, &nulls, &count);
	if (count != 2 || nulls[0] || nulls[1])
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("to_groups must name exactly two groups"),
						errhint("The first takes the lower half of the hash range, the second the upper half; they may be equal.")));
	ShardOperation *operation = plan_shard_split(shard_id, split_at, DatumGetInt32(elements[0]), DatumGetInt32(elements[1]));
	PG_RETURN_INT64(run_shard_operation(operation));
}
