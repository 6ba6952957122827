/*
 * logical_copy.cpp — copies source shards to target groups with PostgreSQL's
 * logical replication, and tells when a target has caught up.
 *
 * Per target group: a publication and a logical slot on the source, a
 * subscription on the target (initial copy, then streaming). Logical
 * replication writes into a table of the same name, so:
 *   - a move creates the shard under its own name on the target;
 *   - a split creates the new shards on the target and, under the source
 *     shard's name, a staging parent partitioned by the distribution hash,
 *     with the new shards as its partitions: the subscription writes into the
 *     parent and each row lands in its new shard. At cutover the partitions
 *     are detached and the parent dropped. When the halves go to different
 *     groups, each publication filters rows by hash range.
 * A marker row (shale.operation_marker) is published too: a token written on
 * the source and seen on a target proves that everything committed on the
 * source before it has been applied there.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "utils/timestamp.h"
#include "storage/latch.h"
#include "pgstat.h"
#include "commands/dbcommands.h"
}

#include "shale/commands/shard_ddl.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/operations/shard_operation.h"

/* Runs a command on a side connection and returns its first value (or NULL). */
static char *
side_query_value(WorkerConnection *connection, const char *sql)
{
	worker_connection_send(connection, sql);
	PGresult *result = worker_connection_receive(connection);
	char *value = NULL;
	if (result != NULL && PQntuples(result) > 0 && !PQgetisnull(result, 0, 0))
		value = pstrdup(PQgetvalue(result, 0, 0));
	if (result != NULL)
		PQclear(result);
	return value;
}

void
operation_pause_ms(long milliseconds)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), milliseconds);
	for (long left = milliseconds; left > 0; left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until))
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* "pg_catalog.hashint8extended(col, 0)": the distribution hash as SQL the workers run. */
static char *
hash_expression(Oid table_id)
{
	const DistributedTable *table = distributed_table_lookup(table_id);
	Oid function = table->hash_function.fn_oid;
	return psprintf("%s.%s(%s, 0)", quote_identifier(get_namespace_name(get_func_namespace(function))),
					quote_identifier(get_func_name(function)),
					quote_identifier(get_attname(table_id, table->distribution_attnum, false)));
}

/* A range partition bound value: the hash, or MINVALUE / MAXVALUE at the ends. */
static char *
bound_value(int64 hash, bool is_lower)
{
	if (is_lower && hash == PG_INT64_MIN)
		return pstrdup("MINVALUE");
	if (!is_lower && hash == PG_INT64_MAX)
		return pstrdup("MAXVALUE");
	return psprintf("%lld", (long long) (is_lower ? hash : hash + 1));
}

/* Whether every piece of a source shard goes to the same group (no row filter needed). */
static bool
pieces_share_group(ShardOperation *operation, int64 old_shard_id)
{
	int group = -1;
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		if (piece->old_shard_id != old_shard_id)
			continue;
		if (group >= 0 && group != piece->target_group)
			return false;
		group = piece->target_group;
	}
	return true;
}

/* Creates the target tables of one group: new shards, and the staging parents of a split. */
static void
create_target_tables(ShardOperation *operation, WorkerConnection *target, int target_group)
{
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		if (piece->target_group != target_group)
			continue;
		ListCell *command;
		foreach (command, shard_create_commands(piece->table_id, piece->new_shard_id))
			worker_connection_execute(target, (char *) lfirst(command));
	}
	if (operation->kind != SHARD_OPERATION_SPLIT)
		return;
	List *parents = NIL;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		if (piece->target_group != target_group)
			continue;
		if (!list_member(parents, makeString(piece->old_name)))
		{
			parents = lappend(parents, makeString(piece->old_name));
			worker_connection_execute(target, psprintf("CREATE TABLE %s (LIKE %s) PARTITION BY RANGE (%s)", piece->old_name,
													   piece->new_name, hash_expression(piece->table_id)));
		}
		worker_connection_execute(target, psprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%s) TO (%s)",
												   piece->old_name, piece->new_name, bound_value(piece->hash_min, true),
												   bound_value(piece->hash_max, false)));
	}
}

/* CREATE PUBLICATION for what one target group receives. */
static char *
publication_command(ShardOperation *operation, int target_group)
{
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE PUBLICATION %s FOR TABLE ", operation_object_name(operation->operation_id, target_group));
	List *published = NIL;
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		if (piece->target_group != target_group || list_member(published, makeString(piece->old_name)))
			continue;
		published = lappend(published, makeString(piece->old_name));
		appendStringInfo(&sql, "%s", piece->old_name);
		if (!pieces_share_group(operation, piece->old_shard_id))
			appendStringInfo(&sql, " WHERE (%s BETWEEN %lld AND %lld)", hash_expression(piece->table_id),
							 (long long) piece->hash_min, (long long) piece->hash_max);
		appendStringInfoString(&sql, ", ");
	}
	appendStringInfo(&sql, "shale.operation_marker WHERE (operation_id = %lld)", (long long) operation->operation_id);
	return sql.data;
}

/* The libpq connection string a subscription on a target uses to reach the source primary. */
static char *
source_conninfo(int source_group)
{
	const GroupEntry *group = group_lookup(source_group);
	/* with shale.node_conninfo's options: the subscription finds the cluster's password there */
	return psprintf("host=%s port=%d dbname=%s user=%s application_name=shale_move %s", group->primary->host,
					group->primary->port, quote_identifier(get_database_name(MyDatabaseId)),
					quote_identifier(GetUserNameFromId(GetUserId(), false)), worker_connection_extra_options());
}

void
logical_copy_start(ShardOperation *operation)
{
	operation->source = worker_connection_open_side(operation->source_group);
	/* a slot waits for transactions running on the source: bounded, so a long transaction cannot hang the move */
	worker_connection_execute(operation->source, "SET statement_timeout = '60s'");
	StringInfoData names;
	initStringInfo(&names);
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		ShardPiece *piece = (ShardPiece *) lfirst(cell);
		appendStringInfo(&names, "%s%s", names.len > 0 ? "," : "", quote_literal_cstr(piece->old_name));
	}
	char *bytes = side_query_value(operation->source,
								   psprintf("SELECT sum(pg_table_size(name::regclass))::bigint FROM "
											"(SELECT DISTINCT unnest(ARRAY[%s]) AS name) names",
											names.data));
	operation->source_bytes = bytes != NULL ? strtoll(bytes, NULL, 10) : 0;
	worker_connection_execute(operation->source,
							  psprintf("INSERT INTO shale.operation_marker (operation_id, token) VALUES (%lld, 0)",
									   (long long) operation->operation_id));

	foreach (cell, operation->target_groups)
	{
		int target_group = lfirst_int(cell);
		char *name = operation_object_name(operation->operation_id, target_group);
		WorkerConnection *target = worker_connection_open_side(target_group);
		operation->targets = lappend(operation->targets, target);
		create_target_tables(operation, target, target_group);
		worker_connection_execute(operation->source, publication_command(operation, target_group));
		worker_connection_execute(operation->source,
								  psprintf("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", quote_literal_cstr(name)));
		/* the slot exists already: a subscription to the same node would hang creating it */
		worker_connection_execute(target, psprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s "
												   "WITH (create_slot = false, slot_name = %s, copy_data = true)",
												   name, quote_literal_cstr(source_conninfo(operation->source_group)),
												   name, quote_literal_cstr(name)));
	}
}

/* Bytes and rows the targets hold so far (progress of the initial copy). */
static void
target_progress(ShardOperation *operation, int64 *bytes, int64 *rows)
{
	*bytes = *rows = 0;
	ListCell *group_cell, *target_cell;
	forboth (group_cell, operation->target_groups, target_cell, operation->targets)
	{
		StringInfoData names;
		initStringInfo(&names);
		ListCell *cell;
		foreach (cell, operation->pieces)
		{
			ShardPiece *piece = (ShardPiece *) lfirst(cell);
			if (piece->target_group == lfirst_int(group_cell))
				appendStringInfo(&names, "%s%s", names.len > 0 ? "," : "", quote_literal_cstr(piece->new_name));
		}
		WorkerConnection *target = (WorkerConnection *) lfirst(target_cell);
		worker_connection_send(target, psprintf("SELECT coalesce(sum(pg_table_size(c)), 0)::bigint, "
												"coalesce(sum(greatest(s.n_live_tup, 0)), 0)::bigint "
												"FROM unnest(ARRAY[%s]::regclass[]) c LEFT JOIN pg_stat_user_tables s ON s.relid = c",
												names.data));
		PGresult *result = worker_connection_receive(target);
		if (result != NULL && PQntuples(result) == 1)
		{
			*bytes += strtoll(PQgetvalue(result, 0, 0), NULL, 10);
			*rows += strtoll(PQgetvalue(result, 0, 1), NULL, 10);
		}
		if (result != NULL)
			PQclear(result);
	}
}

/*
 * check_copy_health fails the operation at once when the copy cannot go on:
 * the source is gone (the side connection's query fails), or a target's
 * subscription keeps failing (PostgreSQL retries a failing apply or table
 * copy for ever, so waiting would only hang).
 */
static void
check_copy_health(ShardOperation *operation)
{
	(void) side_query_value(operation->source, "SELECT 1");
	ListCell *group_cell, *target_cell;
	forboth (group_cell, operation->target_groups, target_cell, operation->targets)
	{
		char *name = operation_object_name(operation->operation_id, lfirst_int(group_cell));
		char *errors = side_query_value((WorkerConnection *) lfirst(target_cell),
										psprintf("SELECT apply_error_count + sync_error_count FROM pg_stat_subscription_stats "
												 "WHERE subname = %s",
												 quote_literal_cstr(name)));
		if (errors != NULL && atoi(errors) > 0)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							errmsg("the copy of operation %lld to worker group %d failed",
								   (long long) operation->operation_id, lfirst_int(group_cell)),
							errhint("The target node's log says why (subscription %s); the source shards keep serving.", name)));
	}
}

void
logical_copy_wait_synced(ShardOperation *operation, int timeout_ms)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	TimestampTz next_progress = 0;
	for (;;)
	{
		int not_ready = 0;
		ListCell *group_cell, *target_cell;
		forboth (group_cell, operation->target_groups, target_cell, operation->targets)
		{
			char *name = operation_object_name(operation->operation_id, lfirst_int(group_cell));
			char *count = side_query_value((WorkerConnection *) lfirst(target_cell),
										   psprintf("SELECT count(*) FILTER (WHERE sr.srsubstate <> 'r') + "
													"(count(*) = 0)::int FROM pg_subscription s "
													"LEFT JOIN pg_subscription_rel sr ON sr.srsubid = s.oid WHERE s.subname = %s",
													quote_literal_cstr(name)));
			not_ready += count != NULL ? atoi(count) : 1;
		}
		TimestampTz now = GetCurrentTimestamp();
		if (not_ready > 0 && now >= next_progress)
			check_copy_health(operation);
		if (not_ready == 0 || now >= next_progress)
		{
			int64 bytes, rows;
			target_progress(operation, &bytes, &rows);
			operation_log_progress(operation, not_ready == 0 ? "catching_up" : "copying", bytes, rows);
			next_progress = TimestampTzPlusMilliseconds(now, 1000);
		}
		if (not_ready == 0)
			return;
		if (now >= deadline)
			ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
							errmsg("the initial copy of operation %lld did not finish within %d ms",
								   (long long) operation->operation_id, timeout_ms),
							errhint("See the target node's log for subscription errors; raise shale.shard_copy_timeout for big shards.")));
		operation_pause_ms(50);
	}
}

bool
logical_copy_catch_up(ShardOperation *operation, int timeout_ms)
{
	char *token = side_query_value(operation->source,
								   psprintf("UPDATE shale.operation_marker SET token = token + 1 WHERE operation_id = %lld "
											"RETURNING token",
											(long long) operation->operation_id));
	if (token == NULL)
		elog(ERROR, "shale: the marker row of operation %lld is missing on the source", (long long) operation->operation_id);
	char *check = psprintf("SELECT count(*) FROM shale.operation_marker WHERE operation_id = %lld AND token >= %s",
						   (long long) operation->operation_id, token);
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	ListCell *cell;
	foreach (cell, operation->targets)
	{
		WorkerConnection *target = (WorkerConnection *) lfirst(cell);
		for (;;)
		{
			char *seen = side_query_value(target, check);
			if (seen != NULL && atoi(seen) > 0)
				break;
			if (GetCurrentTimestamp() >= deadline)
			{
				check_copy_health(operation); /* a clear error when it cannot catch up at all */
				return false;
			}
			operation_pause_ms(2);
		}
	}
	return true;
}
