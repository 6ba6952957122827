/*
 * remote_transaction.cpp — commit and abort of the remote side of a local
 * transaction, through transaction callbacks.
 *
 * Commit protocol:
 *   one group in the transaction  → COMMIT on it at pre-commit;
 *   several groups               → PREPARE TRANSACTION on each at pre-commit,
 *                                   a row in shale.commit_record written in the
 *                                   local transaction, then COMMIT PREPARED on
 *                                   each once the local commit is durable.
 * After a crash, a prepared transaction with a commit record is committed and
 * one without is rolled back (2PC recovery, run by shaled).
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/xlog.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/utils/catalog_access.h"
#include "shale/transaction/remote_transaction.h"

/* Set when a rollback to a savepoint could not be carried to a worker (a
 * statement was cut off there): the transaction can only abort. */
static bool remote_state_lost = false;

/* Groups that joined the current transaction, in the order they joined. */
static int joined_group_count = 0;

/*
 * Fault injection for the crash tests (test/multinode/commit_crashes.sh):
 * milliseconds to pause after every group prepared (before the commit
 * record), and after the local commit (before COMMIT PREPARED), so a test can
 * kill a process at exactly that step. Superuser settings, 0 in production.
 */
static int pause_after_prepare_ms = 0;
static int pause_after_local_commit_ms = 0;

static void
pause_for_fault_test(int milliseconds)
{
	for (int waited = 0; waited < milliseconds; waited += 10)
		pg_usleep(10000L);
}

/* The gid base of the transaction being prepared, kept from pre-commit for
 * commit and abort processing (which must not look up transaction state). */
static char prepared_gid_base[128];

/*
 * remote_begin_command starts the worker's part of the transaction at the
 * router's isolation level. REPEATABLE READ gives each worker group its own
 * snapshot (there is no snapshot across groups); SERIALIZABLE cannot be kept
 * across groups and is refused.
 */
static const char *
remote_begin_command(void)
{
	if (IsolationIsSerializable())
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("SERIALIZABLE transactions cannot use distributed tables"),
						errhint("Use REPEATABLE READ or READ COMMITTED; see docs/transactions.md.")));
	return IsolationUsesXactSnapshot() ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN ISOLATION LEVEL READ COMMITTED";
}

/*
 * establish_savepoint gives the current subtransaction a savepoint on the
 * worker before the connection does work in it, so that ROLLBACK TO SAVEPOINT
 * on the router can undo the worker's part too.
 */
static void
establish_savepoint(WorkerConnection *connection)
{
	if (!IsSubTransaction())
		return;
	SubTransactionId current = GetCurrentSubTransactionId();
	if (connection->savepoints != NIL && (SubTransactionId) llast_int(connection->savepoints) == current)
		return;
	worker_connection_execute(connection, psprintf("SAVEPOINT shale_%u", current));
	MemoryContext previous = MemoryContextSwitchTo(TopMemoryContext);
	connection->savepoints = lappend_int(connection->savepoints, (int) current);
	MemoryContextSwitchTo(previous);
}

WorkerConnection *
statement_connection(int group_id)
{
	WorkerConnection *connection = worker_connection_for_group(group_id);
	if (connection->in_transaction)
		establish_savepoint(connection);
	return connection;
}

WorkerConnection *
remote_transaction_connection(int group_id, bool will_write)
{
	if (remote_state_lost)
		ereport(ERROR, (errcode(ERRCODE_IN_FAILED_SQL_TRANSACTION),
						errmsg("cannot use worker nodes after a rolled-back subtransaction that used them"),
						errhint("Roll back the transaction and run it again without the failing savepoint.")));
	WorkerConnection *connection = worker_connection_for_group(group_id);
	if (!connection->in_transaction)
	{
		/* sent with the first command on the connection: one round trip less */
		connection->pending_begin = remote_begin_command();
		connection->in_transaction = true;
		joined_group_count++;
	}
	connection->wrote |= will_write;
	establish_savepoint(connection);
	return connection;
}

bool
remote_statement_needs_transaction(void)
{
	/* the first command of an implicit transaction has command id 0; nested ones come later */
	return IsTransactionBlock() || GetCurrentCommandId(false) != FirstCommandId || joined_group_count > 0;
}

/* The global transaction id prefix of this local transaction: unique across routers. */
static char *
transaction_gid_base(void)
{
	return psprintf("shale_%llu_%u", (unsigned long long) GetSystemIdentifier(), GetTopTransactionId());
}

static char *
group_gid(const char *gid_base, int group_id)
{
	return psprintf("%s_g%d", gid_base, group_id);
}

/* The saved plan of the commit record INSERT: parsed and planned once per backend. */
static SPIPlanPtr commit_record_plan = NULL;

/* Writes the commit record of a two-phase commit into the local transaction. */
static void
write_commit_record(const char *gid_base, List *group_ids)
{
	int group_count = list_length(group_ids);
	Datum *group_datums = (Datum *) palloc(sizeof(Datum) * group_count);
	ListCell *cell;
	foreach (cell, group_ids)
		group_datums[foreach_current_index(cell)] = Int32GetDatum(lfirst_int(cell));
	Datum values[2] = {CStringGetTextDatum(gid_base),
					   PointerGetDatum(construct_array(group_datums, group_count, INT4OID, 4, true, TYPALIGN_INT))};
	/* pre-commit runs after the last statement's snapshot is gone */
	PushActiveSnapshot(GetTransactionSnapshot());
	CatalogAccess access = begin_catalog_access();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	if (commit_record_plan == NULL)
	{
		Oid types[2] = {TEXTOID, INT4ARRAYOID};
		SPIPlanPtr plan = SPI_prepare("INSERT INTO shale.commit_record (gid, group_ids) VALUES ($1, $2)", 2, types);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "shale: could not prepare the commit record insert");
		commit_record_plan = plan;
	}
	if (SPI_execute_plan(commit_record_plan, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "shale: could not write the commit record");
	SPI_finish();
	end_catalog_access(access);
	PopActiveSnapshot();
}

/*
 * commit_remote_side_before_local runs at pre-commit, while an ERROR still
 * aborts everything: it commits a single group, or prepares several.
 */
static void
commit_remote_side_before_local(void)
{
	if (joined_group_count == 0)
		return;
	if (remote_state_lost)
		ereport(ERROR, (errcode(ERRCODE_IN_FAILED_SQL_TRANSACTION),
						errmsg("cannot commit: a rolled-back subtransaction had used worker nodes"),
						errhint("Roll back and run the transaction again.")));
	int written_group_count = 0;
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
		if (connection->in_transaction && connection->wrote)
			written_group_count++;

	/* groups only read from, and a single written group, commit plainly */
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
	{
		if (!connection->in_transaction || (connection->wrote && written_group_count > 1))
			continue;
		worker_connection_execute(connection, "COMMIT");
		connection->in_transaction = connection->wrote = false;
	}
	if (written_group_count <= 1)
	{
		joined_group_count = 0;
		return;
	}

	char *gid_base = transaction_gid_base();
	strlcpy(prepared_gid_base, gid_base, sizeof(prepared_gid_base));
	List *group_ids = NIL;
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
	{
		if (!connection->in_transaction)
			continue;
		char *sql = psprintf("PREPARE TRANSACTION %s", quote_literal_cstr(group_gid(gid_base, connection->group_id)));
		worker_connection_send(connection, sql);
	}
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
	{
		if (!connection->in_transaction || !connection->busy)
			continue;
		PGresult *result = worker_connection_receive(connection);
		if (result != NULL)
			PQclear(result);
		connection->prepared = true;
		group_ids = lappend_int(group_ids, connection->group_id);
	}
	pause_for_fault_test(pause_after_prepare_ms);
	write_commit_record(gid_base, group_ids);
}

/*
 * Finishes prepared transactions after the local commit, on every group at
 * once; never raises. A failure leaves the prepared transaction for 2PC
 * recovery to finish.
 */
static void
finish_remote_side_after_local(bool committed)
{
	if (committed && prepared_gid_base[0] != '\0')
		pause_for_fault_test(pause_after_local_commit_ms);
	const char *verb = committed ? "COMMIT PREPARED" : "ROLLBACK PREPARED";
	char gid_base[sizeof(prepared_gid_base)];
	strlcpy(gid_base, prepared_gid_base, sizeof(gid_base));
	prepared_gid_base[0] = '\0'; /* no later transaction may see it */
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
		if (connection->in_transaction && connection->prepared)
		{
			char *sql = psprintf("%s %s", verb, quote_literal_cstr(group_gid(gid_base, connection->group_id)));
			connection->finishing = worker_connection_send_quietly(connection, sql);
		}
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
	{
		if (connection->in_transaction && connection->prepared && connection->finishing)
			(void) worker_connection_finish_quietly(connection, verb);
		connection->in_transaction = connection->prepared = connection->wrote = connection->finishing = false;
	}
}

/*
 * abort_remote_side rolls back every group in the transaction. A connection
 * still running a command (error or cancel mid-statement) is cancelled and
 * closed: that is quicker and safer than waiting for it.
 */
static void
abort_remote_side(void)
{
	WorkerConnection *connection = worker_connections_all();
	while (connection != NULL)
	{
		WorkerConnection *next = connection->next;
		/* settings SET inside the rolled-back transaction are undone on the worker: send them again */
		if (connection->in_transaction && connection->time_zone != NULL)
		{
			pfree(connection->time_zone);
			connection->time_zone = NULL;
		}
		if (connection->busy || PQstatus(connection->pg_connection) != CONNECTION_OK)
			worker_connection_discard(connection);
		else if (connection->in_transaction)
		{
			const char *sql = "ROLLBACK";
			char *prepared_sql = NULL;
			if (connection->prepared)
			{
				prepared_sql = psprintf("ROLLBACK PREPARED %s",
										quote_literal_cstr(group_gid(prepared_gid_base, connection->group_id)));
				sql = prepared_sql;
			}
			if (!worker_connection_execute_quietly(connection, sql))
				worker_connection_discard(connection);
			else
				connection->in_transaction = connection->prepared = connection->wrote = false;
		}
		connection = next;
	}
}

static void
forget_savepoints(void)
{
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
	{
		connection->pending_begin = NULL;
		list_free(connection->savepoints);
		connection->savepoints = NIL;
	}
}

static void
on_transaction_event(XactEvent event, void *argument)
{
	(void) argument;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			commit_remote_side_before_local();
			break;
		case XACT_EVENT_COMMIT:
			finish_remote_side_after_local(true);
			forget_savepoints();
			joined_group_count = 0;
			remote_state_lost = false;
			worker_connections_close_side();
			worker_connections_trim();
			break;
		case XACT_EVENT_ABORT:
			abort_remote_side();
			prepared_gid_base[0] = '\0';
			forget_savepoints();
			joined_group_count = 0;
			remote_state_lost = false;
			worker_connections_close_side();
			worker_connections_trim();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (joined_group_count > 0)
				ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("cannot PREPARE a transaction that used worker nodes"),
								errhint("Shale runs its own two-phase commit; use COMMIT.")));
			break;
		default:
			break;
	}
}

/*
 * rollback_to_savepoint undoes, on one worker, what a rolled-back
 * subtransaction (and its children) did there: back to the oldest remote
 * savepoint taken in it. Runs during abort: it never raises.
 */
static void
rollback_to_savepoint(WorkerConnection *connection, SubTransactionId subtransaction)
{
	int position = 0;
	ListCell *cell;
	foreach (cell, connection->savepoints)
	{
		if ((SubTransactionId) lfirst_int(cell) >= subtransaction)
			break;
		position++;
	}
	if (position >= list_length(connection->savepoints))
		return; /* it did nothing on this worker in that subtransaction */
	if (connection->busy || PQstatus(connection->pg_connection) != CONNECTION_OK ||
		!worker_connection_execute_quietly(connection,
										   psprintf("ROLLBACK TO SAVEPOINT shale_%u",
													(SubTransactionId) list_nth_int(connection->savepoints, position))))
	{
		/* a statement was cut off mid-way: the worker's state is unknown */
		remote_state_lost = true;
		return;
	}
	connection->savepoints = list_truncate(connection->savepoints, position);
}

/* Subtransactions: a rollback to a savepoint is carried to the workers. */
static void
on_subtransaction_event(SubXactEvent event, SubTransactionId subtransaction, SubTransactionId parent, void *argument)
{
	(void) parent;
	(void) argument;
	if (event != SUBXACT_EVENT_ABORT_SUB || joined_group_count == 0)
		return;
	for (WorkerConnection *connection = worker_connections_all(); connection; connection = connection->next)
		if (connection->in_transaction)
			rollback_to_savepoint(connection, subtransaction);
}

void
remote_transaction_init(void)
{
	DefineCustomIntVariable("shale.fault_pause_after_prepare", "For crash tests: pause after PREPARE TRANSACTION.",
							NULL, &pause_after_prepare_ms, 0, 0, 600000, PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("shale.fault_pause_after_local_commit",
							"For crash tests: pause after the router's commit, before COMMIT PREPARED.", NULL,
							&pause_after_local_commit_ms, 0, 0, 600000, PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	RegisterXactCallback(on_transaction_event, NULL);
	RegisterSubXactCallback(on_subtransaction_event, NULL);
}
