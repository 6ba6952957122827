/*
 * restore_point.cpp — shale.create_restore_point(name): one named point in
 * the WAL of the router and of every worker primary, at which the cluster is
 * consistent.
 *
 * A distributed transaction is decided by its commit record on the router.
 * While the restore points are made, shale.commit_record is locked against
 * inserts, so no decision is taken meanwhile:
 *   - a decision taken before the lock is in the router's point, and every
 *     COMMIT PREPARED a worker ran before its own point belongs to such a
 *     decision (worker points are made after the router's);
 *   - a transaction still prepared at a worker's point has no record in the
 *     router's point, or has one and is committed by 2PC recovery after a
 *     restore; either way no transaction is half inside the point.
 * Writes that commit on one group only do not wait at all; transactions about
 * to commit on several wait for the lock, a few milliseconds.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/xlog.h"
#include "executor/spi.h"
#include "utils/pg_lsn.h"
}

#include "shale/connection/worker_connection.h"
#include "shale/metadata/metadata_cache.h"

/* The longest restore point name the WAL record holds (MAXFNAMELEN - 1). */
static const int max_restore_point_name_length = 63;

/*
 * Puts one (group_id, node, lsn) row into the function's result, and into
 * shale.restore_point (committed with the caller's transaction, after the
 * router's point: restoring to the point never needs that row).
 */
static void
put_restore_point_row(ReturnSetInfo *result_info, const char *name, int group_id, const char *node, const char *lsn_text)
{
	Oid types[4] = {TEXTOID, INT4OID, TEXTOID, TEXTOID};
	Datum arguments[4] = {CStringGetTextDatum(name), Int32GetDatum(group_id), CStringGetTextDatum(node),
						  CStringGetTextDatum(lsn_text)};
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO shale.restore_point (name, group_id, node, lsn) VALUES ($1, $2, $3, $4::pg_lsn)",
							  4, types, arguments, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "shale: could not record the restore point");
	SPI_finish();

	Datum values[3];
	bool nulls[3] = {false, false, false};
	values[0] = Int32GetDatum(group_id);
	values[1] = CStringGetTextDatum(node);
	values[2] = DirectFunctionCall1(pg_lsn_in, CStringGetDatum(lsn_text));
	tuplestore_putvalues(result_info->setResult, result_info->setDesc, values, nulls);
}

/* Checks the name before anything is locked or written. */
static void
check_restore_point_name(const char *name)
{
	if (name[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("restore point name must not be empty"),
						errhint("Give a name such as 'before_migration_42'.")));
	if ((int) strlen(name) > max_restore_point_name_length)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("restore point name is too long (%d bytes, at most %d)", (int) strlen(name),
							   max_restore_point_name_length),
						errhint("Use a shorter name.")));
	if (RecoveryInProgress())
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("cannot create a restore point on a router replica"),
						errhint("Connect to the router primary (target_session_attrs=read-write).")));
}

SHALE_FUNCTION(shale_create_restore_point)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("restore point name must not be NULL"),
						errhint("Give a name such as 'before_migration_42'.")));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_restore_point_name(name);
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *result_info = (ReturnSetInfo *) fcinfo->resultinfo;

	/* held to the end of the caller's transaction: no commit decision until then */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	if (SPI_execute("LOCK TABLE shale.commit_record IN EXCLUSIVE MODE", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "shale: could not lock shale.commit_record");
	SPI_finish();

	Datum router_lsn = DirectFunctionCall1(pg_create_restore_point, CStringGetTextDatum(name));
	put_restore_point_row(result_info, name, 0, "router", DatumGetCString(DirectFunctionCall1(pg_lsn_out, router_lsn)));

	/* every worker primary at once, after the router */
	List *connections = NIL;
	List *group_ids = writable_worker_group_ids();
	char *sql = psprintf("SELECT pg_create_restore_point(%s)", quote_literal_cstr(name));
	ListCell *cell;
	foreach (cell, group_ids)
	{
		WorkerConnection *connection = worker_connection_for_group(lfirst_int(cell));
		worker_connection_send(connection, sql);
		connections = lappend(connections, connection);
	}
	foreach (cell, connections)
	{
		WorkerConnection *connection = (WorkerConnection *) lfirst(cell);
		PGresult *result = worker_connection_receive(connection);
		if (result == NULL || PQntuples(result) != 1)
			ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
							errmsg("no restore point LSN from worker group %d (%s)", connection->group_id,
								   worker_connection_name(connection))));
		put_restore_point_row(result_info, name, connection->group_id, worker_connection_name(connection),
							  PQgetvalue(result, 0, 0));
		PQclear(result);
	}
	return (Datum) 0;
}
