/*
 * shard_functions.cpp — SQL functions that answer questions about shards:
 * shale.shard_for, shale.hash_value and shale.shard_placement_stats.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "parser/parse_coerce.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"
}

#include "shale/connection/worker_connection.h"
#include "shale/transaction/remote_transaction.h"
#include "shale/metadata/distribution_hash.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/utils/subtransaction.h"

/*
 * coerce_to_type converts a value to the distribution column's type (so that
 * shard_for('accounts', 42) works for a bigint column), or raises an error.
 */
static Datum
coerce_to_type(Datum value, Oid from_type, Oid to_type)
{
	if (from_type == to_type)
		return value;
	Oid function_id = InvalidOid;
	CoercionPathType path = find_coercion_pathway(to_type, from_type, COERCION_EXPLICIT, &function_id);
	switch (path)
	{
		case COERCION_PATH_RELABELTYPE:
			return value;
		case COERCION_PATH_FUNC:
			return OidFunctionCall1(function_id, value);
		case COERCION_PATH_COERCEVIAIO:
		{
			Oid output_function, input_function, io_parameter;
			bool is_varlena;
			getTypeOutputInfo(from_type, &output_function, &is_varlena);
			getTypeInputInfo(to_type, &input_function, &io_parameter);
			char *text_value = OidOutputFunctionCall(output_function, value);
			return OidInputFunctionCall(input_function, text_value, io_parameter, -1);
		}
		default:
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
							errmsg("cannot convert a value of type %s to the distribution column type %s",
								   format_type_be(from_type), format_type_be(to_type)),
							errhint("Cast the value, e.g. shale.shard_for('t', '...'::%s).", format_type_be(to_type))));
	}
	return value;
}

SHALE_FUNCTION(shale_shard_for)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("table_name must not be NULL"),
						errhint("For example: SELECT shale.shard_for('accounts', 42);")));
	Oid table_id = PG_GETARG_OID(0);
	const DistributedTable *table = distributed_table_lookup(table_id);
	if (table == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("table \"%s\" is not distributed", get_rel_name(table_id) ? get_rel_name(table_id) : "?"),
						errhint("See SELECT * FROM shale.tables.")));
	if (table->shard_count == 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("table \"%s\" has no shards", get_rel_name(table_id))));
	if (table->kind == TABLE_KIND_REFERENCE)
		PG_RETURN_INT64(table->shards[0].shard_id);
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("a NULL value belongs to no shard"),
						errhint("Distribution column values must not be NULL.")));

	Oid value_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	Datum value = coerce_to_type(PG_GETARG_DATUM(1), value_type, table->distribution_type);
	/* the cached FmgrInfo lives in the cache; copy it so a reload cannot pull it away */
	FmgrInfo hash_function = table->hash_function;
	int64 hash = distribution_hash_datum(&hash_function, table->distribution_collation, value);
	const ShardEntry *shard = shard_for_hash(table, hash);
	if (shard == NULL)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("no shard of \"%s\" holds hash " INT64_FORMAT,
																  get_rel_name(table_id), hash)));
	PG_RETURN_INT64(shard->shard_id);
}

SHALE_FUNCTION(shale_hash_value)
{
	Oid value_type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid function_id = distribution_hash_function_for_type(value_type);
	if (!OidIsValid(function_id))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
						errmsg("type %s has no hash function", format_type_be(value_type)),
						errhint("Only types with a default hash operator class can be hashed, such as bigint, text or uuid.")));
	Oid collation = PG_GET_COLLATION();
	if (!OidIsValid(collation))
		collation = DEFAULT_COLLATION_OID;
	FmgrInfo hash_function;
	fmgr_info(function_id, &hash_function);
	PG_RETURN_INT64(distribution_hash_datum(&hash_function, collation, PG_GETARG_DATUM(0)));
}

/*
 * What shard_placement_stats asks a group for each shard table c: its size on
 * disk, and its activity (scans plus rows written, cumulative since the
 * worker's statistics were last reset).
 */
static const char *const stats_expression =
	"pg_total_relation_size(c), "
	"(SELECT coalesce(s.seq_scan, 0) + coalesce(s.idx_scan, 0) + s.n_tup_ins + s.n_tup_upd + s.n_tup_del "
	" FROM pg_stat_user_tables s WHERE s.relid = c)";

/* Builds "SELECT id, size, activity FROM (VALUES …)" asking a group about its shards. */
static char *
stats_query_for_group(int group_id)
{
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT v.shard_id, %s FROM (SELECT shard_id, to_regclass(name) AS c FROM (VALUES ",
					 stats_expression);
	bool any = false;
	List *tables = distributed_table_ids();
	ListCell *cell;
	foreach (cell, tables)
	{
		Oid table_id = lfirst_oid(cell);
		const DistributedTable *table = distributed_table_lookup(table_id);
		if (table == NULL || get_rel_name(table_id) == NULL)
			continue;
		for (int s = 0; s < table->shard_count; s++)
			for (int p = 0; p < table->shards[s].placement_count; p++)
				if (table->shards[s].placement_group_ids[p] == group_id)
				{
					appendStringInfo(&sql, "%s(" INT64_FORMAT "::bigint, %s)", any ? ", " : "", table->shards[s].shard_id,
									 quote_literal_cstr(shard_qualified_name(table_id, table->shards[s].shard_id)));
					any = true;
				}
	}
	appendStringInfoString(&sql, ") named(shard_id, name)) v");
	return any ? sql.data : NULL;
}

/* One group's part of shale_shard_placement_stats: its query, and where the rows go. */
typedef struct GroupStatsRead
{
	int group_id;
	const char *sql;
	ReturnSetInfo *result_info;
} GroupStatsRead;

/* Asks one group for its shards' stats and adds them to the result (in a subtransaction: it may fail). */
static void
read_group_stats(void *argument)
{
	GroupStatsRead *read = (GroupStatsRead *) argument;
	WorkerConnection *connection = statement_connection(read->group_id);
	worker_connection_send(connection, read->sql);
	PGresult *result = worker_connection_receive(connection);
	for (int row = 0; result != NULL && row < PQntuples(result); row++)
	{
		Datum values[4];
		bool nulls[4] = {false, false, PQgetisnull(result, row, 1) != 0, PQgetisnull(result, row, 2) != 0};
		values[0] = Int64GetDatum(strtoll(PQgetvalue(result, row, 0), NULL, 10));
		values[1] = Int32GetDatum(read->group_id);
		values[2] = nulls[2] ? (Datum) 0 : Int64GetDatum(strtoll(PQgetvalue(result, row, 1), NULL, 10));
		values[3] = nulls[3] ? (Datum) 0 : Int64GetDatum(strtoll(PQgetvalue(result, row, 2), NULL, 10));
		tuplestore_putvalues(read->result_info->setResult, read->result_info->setDesc, values, nulls);
	}
	if (result != NULL)
		PQclear(result);
}

/*
 * shale_shard_placement_stats returns (shard_id, group_id, size_bytes,
 * activity) for every placement, asking each group once. A group that cannot
 * be reached gives a WARNING and no rows (the shards view then shows NULL sizes).
 */
SHALE_FUNCTION(shale_shard_placement_stats)
{
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *result_info = (ReturnSetInfo *) fcinfo->resultinfo;
	List *group_ids = writable_worker_group_ids();
	ListCell *cell;
	foreach (cell, group_ids)
	{
		int group_id = lfirst_int(cell);
		char *sql = stats_query_for_group(group_id);
		if (sql == NULL)
			continue;
		GroupStatsRead read = {group_id, sql, result_info};
		ErrorData *error = run_in_subtransaction(read_group_stats, &read);
		if (error != NULL)
			ereport(WARNING, (errmsg("could not read shard sizes and activity from worker group %d: %s", group_id,
									 error->message)));
	}
	return (Datum) 0;
}
