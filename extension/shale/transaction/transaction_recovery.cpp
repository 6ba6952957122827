/*
 * transaction_recovery.cpp — shale.recover_prepared_transactions(): finishes
 * the two-phase commits a crash left in doubt.
 *
 * A prepared transaction on a worker whose gid this router made is
 *   committed   when shale.commit_record holds its gid base (the router
 *               decided to commit, in the same local commit as that row);
 *   left alone  while the router transaction that prepared it still runs;
 *   rolled back otherwise (the router aborted or crashed before deciding,
 *               or its xid lies beyond this router's history).
 * Commit records no worker still needs are then deleted. shaled calls this
 * every few seconds; it is safe to run by hand at any time.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/transam.h"
#include "access/xlog.h"
#include "executor/spi.h"
#include "storage/procarray.h"
}

#include "shale/connection/worker_connection.h"
#include "shale/metadata/metadata_cache.h"

/*
 * Whether the router has a commit record for this gid base. It reads with a
 * new snapshot (read_only = false), taken after the caller saw the router
 * transaction end: an older snapshot could miss a record committed meanwhile
 * and roll back a transaction that committed.
 */
static bool
commit_record_exists(const char *gid_base)
{
	char *sql = psprintf("SELECT 1 FROM shale.commit_record WHERE gid = %s", quote_literal_cstr(gid_base));
	if (SPI_execute(sql, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "shale: could not read commit records");
	return SPI_processed > 0;
}

/*
 * Parses "shale_<system id>_<xid>_g<group>" into its base and xid; false for a
 * gid another router (or no router) made.
 */
static bool
parse_gid(const char *gid, const char *own_prefix, char **gid_base, TransactionId *xid)
{
	size_t prefix_length = strlen(own_prefix);
	if (strncmp(gid, own_prefix, prefix_length) != 0)
		return false;
	const char *group_part = strrchr(gid, '_');
	if (group_part == NULL || group_part[1] != 'g')
		return false;
	*gid_base = pnstrdup(gid, group_part - gid);
	*xid = (TransactionId) strtoul(gid + prefix_length, NULL, 10);
	return true;
}

SHALE_FUNCTION(shale_recover_prepared_transactions)
{
	char *own_prefix = psprintf("shale_%llu_", (unsigned long long) GetSystemIdentifier());
	int committed = 0;
	int rolled_back = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");

	List *group_ids = writable_worker_group_ids();
	ListCell *cell;
	foreach (cell, group_ids)
	{
		WorkerConnection *connection = worker_connection_for_group(lfirst_int(cell));
		if (connection->in_transaction)
			ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
							errmsg("cannot recover prepared transactions inside a transaction that used worker nodes")));
		/* young prepared transactions are still being finished by their own backend: leave them */
		worker_connection_send(connection, psprintf("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE %s "
													"AND database = current_database() "
													"AND prepared < now() - interval '2 seconds'",
													quote_literal_cstr(psprintf("%s%%", own_prefix))));
		PGresult *result = worker_connection_receive(connection);
		for (int row = 0; result != NULL && row < PQntuples(result); row++)
		{
			const char *gid = PQgetvalue(result, row, 0);
			char *gid_base;
			TransactionId xid;
			if (!parse_gid(gid, own_prefix, &gid_base, &xid))
				continue;
			/*
			 * An xid this router has not assigned yet was assigned in another
			 * life: before a crash that lost it from the WAL, or after the
			 * point a restored router stops at. No commit record of it can
			 * exist here, and the router will hand out that xid again, so the
			 * orphan is rolled back now (TransactionIdIsInProgress would call
			 * such an xid running and leave it in doubt).
			 */
			bool assigned_here = TransactionIdPrecedes(xid, XidFromFullTransactionId(ReadNextFullTransactionId()));
			/* has the router transaction ended? only then is its decision final */
			if (assigned_here && TransactionIdIsInProgress(xid))
				continue;
			bool commit = assigned_here && commit_record_exists(gid_base);
			char *sql = psprintf("%s %s", commit ? "COMMIT PREPARED" : "ROLLBACK PREPARED", quote_literal_cstr(gid));
			worker_connection_execute(connection, sql);
			if (commit)
				committed++;
			else
				rolled_back++;
		}
		if (result != NULL)
			PQclear(result);
	}

	/*
	 * Records are kept while any group still holds one of their prepared
	 * transactions, and for a minute in any case: a committing backend may
	 * not have sent COMMIT PREPARED yet, and must not find its record gone.
	 */
	StringInfoData still_prepared;
	initStringInfo(&still_prepared);
	appendStringInfoString(&still_prepared, "DELETE FROM shale.commit_record WHERE created_at < now() - interval '1 minute'");
	foreach (cell, group_ids)
	{
		WorkerConnection *connection = worker_connection_for_group(lfirst_int(cell));
		worker_connection_send(connection, psprintf("SELECT gid FROM pg_prepared_xacts WHERE gid LIKE %s",
													quote_literal_cstr(psprintf("%s%%", own_prefix))));
		PGresult *result = worker_connection_receive(connection);
		for (int row = 0; result != NULL && row < PQntuples(result); row++)
		{
			char *gid_base;
			TransactionId xid;
			if (parse_gid(PQgetvalue(result, row, 0), own_prefix, &gid_base, &xid))
				appendStringInfo(&still_prepared, " AND gid <> %s", quote_literal_cstr(gid_base));
		}
		if (result != NULL)
			PQclear(result);
	}
	if (SPI_execute(still_prepared.data, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "shale: could not delete finished commit records");
	SPI_finish();
	if (committed + rolled_back > 0)
		ereport(LOG, (errmsg("shale: recovered prepared transactions: %d committed, %d rolled back", committed, rolled_back)));
	PG_RETURN_INT32(committed + rolled_back);
}
