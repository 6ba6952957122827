/*
 * worker_connection.cpp — opens, caches and drives libpq connections to worker
 * nodes with the non-blocking API and the backend's latch.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include <sys/socket.h>
#include <errno.h>
#include "mb/pg_wchar.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

#include "shale/connection/worker_connection.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/transaction/distributed_deadlock.h"

/* shale.connect_timeout: milliseconds to wait for a worker connection. */
static int connect_timeout_ms = 5000;
/* shale.node_conninfo: extra libpq options for worker connections (sslmode, …). */
static char *node_conninfo = NULL;

static WorkerConnection *connections = NULL;
/* side connections (worker_connection_open_side), linked by next too; owned by the local transaction */
static WorkerConnection *side_connections = NULL;
static uint64 last_side_id = 0;
/* shale.max_cached_connections: connections a backend keeps open between transactions. */
static int max_cached_connections = 16;
/* shale.network_timeout: how soon a worker that vanished from the network is noticed. */
static int network_timeout_ms = 10000;
/* shale.remote_commit_timeout: how long commit and abort wait for a worker's answer. */
static int remote_commit_timeout_ms = 10000;

void
worker_connection_define_settings(void)
{
	DefineCustomIntVariable("shale.max_cached_connections",
							"Worker connections a backend keeps open between transactions.",
							"A backend holds at most one connection per worker group; above this number, "
							"idle connections are closed when a transaction ends.",
							&max_cached_connections, 16, 0, 10000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.connect_timeout", "Time to wait for a connection to a worker node.", NULL,
							&connect_timeout_ms, 5000, 100, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.network_timeout",
							"Time after which a worker node that stopped answering on the network is given up.",
							"Sets TCP keepalives and tcp_user_timeout on new worker connections: a statement that "
							"waits on a partitioned or frozen worker fails after about this long.",
							&network_timeout_ms, 10000, 2000, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, NULL, NULL,
							NULL);
	DefineCustomIntVariable("shale.remote_commit_timeout",
							"Time that COMMIT, COMMIT PREPARED and ROLLBACK wait for a worker node's answer.",
							"Past it the router stops waiting and closes that connection: a prepared transaction "
							"left on the worker is finished by shaled's two-phase commit recovery.",
							&remote_commit_timeout_ms, 10000, 100, 3600 * 1000, PGC_USERSET, GUC_UNIT_MS, NULL, NULL,
							NULL);
	DefineCustomStringVariable("shale.node_conninfo", "Extra libpq connection options for connections to worker nodes.",
							   "For example 'sslmode=require'. Host, port, database and user are set by Shale.",
							   &node_conninfo, "", PGC_SIGHUP, 0, NULL, NULL, NULL);
}

/* The extra libpq options of shale.node_conninfo (the password file, sslmode, …), "" when none. */
const char *
worker_connection_extra_options(void)
{
	return node_conninfo != NULL ? node_conninfo : "";
}

const char *
worker_connection_name(const WorkerConnection *connection)
{
	return psprintf("%s:%d", connection->host, connection->port);
}

/* Appends key='value' to a conninfo string, quoting as libpq wants. */
static void
append_conninfo_value(StringInfo conninfo, const char *key, const char *value)
{
	appendStringInfo(conninfo, "%s='", key);
	for (const char *c = value; *c; c++)
	{
		if (*c == '\'' || *c == '\\')
			appendStringInfoChar(conninfo, '\\');
		appendStringInfoChar(conninfo, *c);
	}
	appendStringInfoString(conninfo, "' ");
}

/*
 * wait_for_socket sleeps until the connection's socket is ready for events, the
 * latch is set (then interrupts are serviced: a cancel raises here), or the
 * timeout passes. Returns false on timeout.
 */
static bool
wait_for_socket(PGconn *pg_connection, int events, long timeout_ms)
{
	int wake_events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | events;
	if (timeout_ms >= 0)
		wake_events |= WL_TIMEOUT;
	int result = WaitLatchOrSocket(MyLatch, wake_events, PQsocket(pg_connection), timeout_ms, PG_WAIT_EXTENSION);
	if (result & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		check_for_deadlock_victim();
		CHECK_FOR_INTERRUPTS();
	}
	return !(result & WL_TIMEOUT);
}

/* wait_for_socket for a connection still being opened: closes it if a cancel raises. */
static void
wait_for_socket_or_close(PGconn *pg_connection, int events, long timeout_ms)
{
	PG_TRY();
	{
		wait_for_socket(pg_connection, events, timeout_ms);
	}
	PG_CATCH();
	{
		PQfinish(pg_connection);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* Opens a connection to a node without blocking the backend; ERROR on failure or timeout. */
static PGconn *
open_node_connection(const NodeEntry *node)
{
	StringInfoData conninfo;
	initStringInfo(&conninfo);
	append_conninfo_value(&conninfo, "host", node->host);
	appendStringInfo(&conninfo, "port=%d ", node->port);
	append_conninfo_value(&conninfo, "dbname", get_database_name(MyDatabaseId));
	append_conninfo_value(&conninfo, "user", GetUserNameFromId(GetUserId(), false));
	/* named after this backend, so shaled can map worker lock waits to router transactions */
	append_conninfo_value(&conninfo, "application_name", psprintf("shale:%d", MyProcPid));
	append_conninfo_value(&conninfo, "client_encoding", GetDatabaseEncodingName());
	/* canonical text formats, so values round-trip whatever the client session uses */
	append_conninfo_value(&conninfo, "options", "-c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3");
	/*
	 * A worker that vanishes from the network (a partition, a frozen host) is
	 * noticed within about shale.network_timeout, even while a statement waits
	 * for its answer: keepalives probe an idle socket, tcp_user_timeout bounds
	 * data the worker never acknowledges.
	 */
	int idle_seconds = Max(1, network_timeout_ms / 2000);
	int probes = Max(1, (network_timeout_ms / 1000) - idle_seconds);
	appendStringInfo(&conninfo, "keepalives=1 keepalives_idle=%d keepalives_interval=1 keepalives_count=%d tcp_user_timeout=%d ",
					 idle_seconds, probes, network_timeout_ms);
	if (node_conninfo != NULL)
		appendStringInfoString(&conninfo, node_conninfo);

	PGconn *pg_connection = PQconnectStart(conninfo.data);
	if (pg_connection == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory opening a worker connection")));

	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), connect_timeout_ms);
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	while (PQstatus(pg_connection) != CONNECTION_BAD && poll_status != PGRES_POLLING_OK &&
		   poll_status != PGRES_POLLING_FAILED)
	{
		long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
			break;
		int events = (poll_status == PGRES_POLLING_READING) ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE;
		wait_for_socket_or_close(pg_connection, events, remaining);
		poll_status = PQconnectPoll(pg_connection);
	}

	if (PQstatus(pg_connection) != CONNECTION_OK)
	{
		char *reason = pstrdup(poll_status == PGRES_POLLING_OK || PQstatus(pg_connection) != CONNECTION_BAD
								   ? "timeout expired"
								   : PQerrorMessage(pg_connection));
		PQfinish(pg_connection);
		int length = (int) strlen(reason);
		while (length > 0 && (reason[length - 1] == '\n' || reason[length - 1] == ' '))
			reason[--length] = '\0';
		ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
						errmsg("could not connect to worker node %s:%d (group %d)", node->host, node->port, node->group_id),
						errdetail("%s", reason),
						errhint("Check that the node is running: SELECT * FROM shale.nodes, or shale status.")));
	}
	if (PQsetnonblocking(pg_connection, 1) != 0)
	{
		PQfinish(pg_connection);
		ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE), errmsg("could not make a worker connection non-blocking")));
	}
	return pg_connection;
}

WorkerConnection *
worker_connections_all(void)
{
	return connections;
}


/* Unlinks and frees a connection entry, closing its socket. */
static void
forget_connection(WorkerConnection *connection)
{
	WorkerConnection **link = connection->side_id != 0 ? &side_connections : &connections;
	while (*link != NULL && *link != connection)
		link = &(*link)->next;
	if (*link == connection)
		*link = connection->next;
	if (connection->pg_connection != NULL)
		PQfinish(connection->pg_connection);
	pfree(connection->host);
	if (connection->time_zone != NULL)
		pfree(connection->time_zone);
	if (connection->prepared_statements != NULL)
		hash_destroy(connection->prepared_statements); /* the statement texts stay: a small, rare leak */
	if (connection->read_events != NULL)
		FreeWaitEventSet(connection->read_events);
	pfree(connection);
}

void
worker_connections_trim(void)
{
	int kept = 0;
	WorkerConnection *connection = connections;
	while (connection != NULL)
	{
		WorkerConnection *next = connection->next;
		/* the list is newest first: the oldest go */
		if (!connection->busy && !connection->in_transaction && ++kept > max_cached_connections)
			forget_connection(connection);
		connection = next;
	}
}

/*
 * idle_connection_is_alive looks at an idle connection's socket without
 * reading from it (one system call). Nothing pending means alive; an end of
 * file, or anything the worker sent unasked (a shutdown message), means the
 * worker closed it.
 */
static bool
idle_connection_is_alive(PGconn *pg_connection)
{
	char byte;
	ssize_t received = recv(PQsocket(pg_connection), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

WorkerConnection *
worker_connection_for_group(int group_id)
{
	const GroupEntry *group = group_lookup(group_id);
	if (group == NULL || group->primary == NULL)
		ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
						errmsg("worker group %d has no primary node", group_id),
						errhint("Register one with shale.add_node(), or wait for failover to finish.")));
	const NodeEntry *node = group->primary;

	for (WorkerConnection *connection = connections; connection != NULL; connection = connection->next)
	{
		if (connection->group_id != group_id)
			continue;
		bool same_node = connection->port == node->port && strcmp(connection->host, node->host) == 0;
		/*
		 * An idle cached connection may have been closed by the worker (a
		 * restart): reading what is pending notices that, so the statement
		 * opens a new connection instead of failing.
		 */
		/*
		 * Used less than 100 ms ago: no worker restarts that fast, and the hot
		 * path saves a system call per statement.
		 */
		TimestampTz now = GetCurrentStatementStartTimestamp();
		bool recently_used = now - connection->last_used_at < 100 * 1000;
		connection->last_used_at = now;
		bool healthy = PQstatus(connection->pg_connection) == CONNECTION_OK &&
					   (connection->busy || connection->in_transaction || recently_used ||
						idle_connection_is_alive(connection->pg_connection));
		if (same_node && healthy)
			return connection;
		if (connection->in_transaction)
			ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
							errmsg("connection to worker node %s was lost in the middle of the transaction",
								   worker_connection_name(connection)),
							errhint("Run the transaction again.")));
		forget_connection(connection); /* stale: the primary moved, or the socket broke */
		break;
	}

	PGconn *pg_connection = open_node_connection(node);
	WorkerConnection *connection = (WorkerConnection *) MemoryContextAllocZero(TopMemoryContext, sizeof(WorkerConnection));
	connection->group_id = group_id;
	connection->node_id = node->node_id;
	connection->host = MemoryContextStrdup(TopMemoryContext, node->host);
	connection->port = node->port;
	connection->pg_connection = pg_connection;
	connection->last_used_at = GetCurrentStatementStartTimestamp();
	connection->next = connections;
	connections = connection;
	return connection;
}

/*
 * worker_connection_open_side opens a connection to a group's primary that is
 * not cached and takes no part in the local transaction: shard operations use
 * it for commands that must commit on their own (CREATE SUBSCRIPTION) or that
 * must outlive an abort (clean-up). Close it with worker_connection_discard.
 */
WorkerConnection *
worker_connection_open_side(int group_id)
{
	const GroupEntry *group = group_lookup(group_id);
	if (group == NULL || group->primary == NULL)
		ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
						errmsg("worker group %d has no primary node", group_id),
						errhint("Register one with shale.add_node(), or wait for failover to finish.")));
	PGconn *pg_connection = open_node_connection(group->primary);
	WorkerConnection *connection = (WorkerConnection *) MemoryContextAllocZero(TopMemoryContext, sizeof(WorkerConnection));
	connection->group_id = group_id;
	connection->node_id = group->primary->node_id;
	connection->host = MemoryContextStrdup(TopMemoryContext, group->primary->host);
	connection->port = group->primary->port;
	connection->pg_connection = pg_connection;
	connection->last_used_at = GetCurrentStatementStartTimestamp();
	connection->side_id = ++last_side_id;
	connection->next = side_connections;
	side_connections = connection;
	return connection;
}

WorkerConnection *
worker_connection_find_side(uint64 side_id)
{
	for (WorkerConnection *connection = side_connections; connection != NULL; connection = connection->next)
		if (connection->side_id == side_id)
			return connection;
	return NULL;
}

void
worker_connections_close_side(void)
{
	while (side_connections != NULL)
		worker_connection_discard(side_connections);
}

/* Raises the error of a connection whose socket failed. */
static void
raise_connection_error(WorkerConnection *connection, const char *what)
{
	char *reason = pstrdup(PQerrorMessage(connection->pg_connection));
	ereport(ERROR, (errcode(ERRCODE_CONNECTION_FAILURE),
					errmsg("lost connection to worker node %s while %s", worker_connection_name(connection), what),
					errdetail("%s", reason), errhint("Check the node with shale status; run the statement again.")));
}

/* Flushes the send buffer, waiting for the socket as needed. */
static void
flush_connection(WorkerConnection *connection)
{
	int flush_result;
	while ((flush_result = PQflush(connection->pg_connection)) == 1)
		wait_for_socket(connection->pg_connection, WL_SOCKET_WRITEABLE | WL_SOCKET_READABLE, -1);
	if (flush_result < 0)
		raise_connection_error(connection, "sending a command");
}

void
worker_connection_send(WorkerConnection *connection, const char *sql)
{
	connection->busy = true;
	if (connection->pending_begin != NULL)
	{
		/* one round trip: BEGIN and the command as one simple query */
		sql = psprintf("%s; %s", connection->pending_begin, sql);
		connection->pending_begin = NULL;
	}
	if (!PQsendQuery(connection->pg_connection, sql))
		raise_connection_error(connection, "sending a command");
	flush_connection(connection);
}

/*
 * begin_pipeline sends the pending BEGIN in pipeline mode, so the statement
 * that follows goes out in the same round trip; end_pipeline closes it.
 */
static bool
begin_pipeline(WorkerConnection *connection)
{
	if (connection->pending_begin == NULL)
		return false;
	if (!PQenterPipelineMode(connection->pg_connection) ||
		!PQsendQueryParams(connection->pg_connection, connection->pending_begin, 0, NULL, NULL, NULL, NULL, 0))
		raise_connection_error(connection, "starting a transaction");
	connection->pending_begin = NULL;
	connection->pipeline_queries = 1;
	return true;
}

static void
end_pipeline(WorkerConnection *connection)
{
	if (!PQpipelineSync(connection->pg_connection))
		raise_connection_error(connection, "sending a statement");
}

void
worker_connection_send_with_parameters(WorkerConnection *connection, const char *sql, int parameter_count,
									   const Oid *parameter_types, const char *const *parameter_values)
{
	connection->busy = true;
	bool pipelined = begin_pipeline(connection);
	if (!PQsendQueryParams(connection->pg_connection, sql, parameter_count, parameter_types, parameter_values, NULL,
						   NULL, 0))
		raise_connection_error(connection, "sending a statement");
	if (pipelined)
	{
		connection->pipeline_queries++;
		end_pipeline(connection);
	}
	flush_connection(connection);
}

void
worker_connection_prepare_statement(WorkerConnection *connection)
{
	/*
	 * Settings whose value changes what a worker computes or how long it
	 * waits: TimeZone (date_trunc on timestamptz, …) and lock_timeout (a
	 * worker waiting on a row lock). Compared as "zone|timeout"; one SET
	 * carries every change, nothing is sent while they stay the same.
	 */
	const char *time_zone = GetConfigOption("TimeZone", false, false);
	const char *lock_timeout = GetConfigOption("lock_timeout", false, false);
	time_zone = time_zone ? time_zone : "UTC";
	lock_timeout = lock_timeout ? lock_timeout : "0";
	size_t zone_length = strlen(time_zone);
	const char *synced = connection->time_zone;
	if (synced != NULL && strncmp(synced, time_zone, zone_length) == 0 && synced[zone_length] == '|' &&
		strcmp(synced + zone_length + 1, lock_timeout) == 0)
		return;
	worker_connection_execute(connection, psprintf("SET TimeZone TO %s; SET lock_timeout TO %s",
												   quote_literal_cstr(time_zone), quote_literal_cstr(lock_timeout)));
	if (connection->time_zone != NULL)
		pfree(connection->time_zone);
	connection->time_zone = MemoryContextStrdup(TopMemoryContext, psprintf("%s|%s", time_zone, lock_timeout));
}

/* Statements prepared on one worker session, by a hash of text and parameter types. */
typedef struct PreparedStatement
{
	uint64 key;
	char *sql;
	int parameter_count;
	Oid *parameter_types;
	char name[32];
} PreparedStatement;

/* Prepared statements per session; beyond this, statements are sent unprepared. */
static const int max_prepared_statements = 1000;

static uint64
statement_key(const char *sql, int parameter_count, const Oid *parameter_types)
{
	uint64 key = hash_bytes_extended((const unsigned char *) sql, (int) strlen(sql), 0);
	return hash_bytes_extended((const unsigned char *) parameter_types, (int) (sizeof(Oid) * parameter_count), key);
}

/* The prepared statement for this text and these types, or NULL. */
static PreparedStatement *
find_prepared(WorkerConnection *connection, uint64 key, const char *sql, int parameter_count,
			  const Oid *parameter_types)
{
	if (connection->prepared_statements == NULL)
		return NULL;
	PreparedStatement *statement = (PreparedStatement *) hash_search(connection->prepared_statements, &key, HASH_FIND, NULL);
	if (statement == NULL || statement->parameter_count != parameter_count || strcmp(statement->sql, sql) != 0 ||
		memcmp(statement->parameter_types, parameter_types, sizeof(Oid) * parameter_count) != 0)
		return NULL;
	return statement;
}

void
worker_connection_send_prepared(WorkerConnection *connection, const char *sql, int parameter_count,
								const Oid *parameter_types, const char *const *parameter_values)
{
	uint64 key = statement_key(sql, parameter_count, parameter_types);
	PreparedStatement *statement = find_prepared(connection, key, sql, parameter_count, parameter_types);
	if (statement == NULL && connection->prepared_count >= max_prepared_statements)
	{
		worker_connection_send_with_parameters(connection, sql, parameter_count, parameter_types, parameter_values);
		return;
	}
	connection->busy = true;
	bool pipelined = begin_pipeline(connection);
	if (statement == NULL)
	{
		if (connection->prepared_statements == NULL)
		{
			HASHCTL control;
			memset(&control, 0, sizeof(control));
			control.keysize = sizeof(uint64);
			control.entrysize = sizeof(PreparedStatement);
			control.hcxt = TopMemoryContext;
			connection->prepared_statements =
				hash_create("shale prepared statements", 64, &control, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		char name[32];
		snprintf(name, sizeof(name), "shale_%d", ++connection->prepared_count);
		if (!PQsendPrepare(connection->pg_connection, name, sql, parameter_count, parameter_types))
			raise_connection_error(connection, "preparing a statement");
		if (pipelined)
		{
			/* the prepare rides in the pipeline; if it fails, receive forgets it */
			connection->pipeline_queries++;
			connection->pipeline_prepare_key = key;
		}
		else
		{
			flush_connection(connection);
			PGresult *result = worker_connection_receive(connection);
			if (result != NULL)
				PQclear(result);
			connection->busy = true;
		}
		bool found;
		statement = (PreparedStatement *) hash_search(connection->prepared_statements, &key, HASH_ENTER, &found);
		if (found)
			pfree(statement->sql); /* a hash collision: the newer statement wins */
		statement->key = key;
		statement->sql = MemoryContextStrdup(TopMemoryContext, sql);
		statement->parameter_count = parameter_count;
		statement->parameter_types = (Oid *) MemoryContextAlloc(TopMemoryContext, sizeof(Oid) * (parameter_count + 1));
		memcpy(statement->parameter_types, parameter_types, sizeof(Oid) * parameter_count);
		strlcpy(statement->name, name, sizeof(statement->name));
	}
	if (!PQsendQueryPrepared(connection->pg_connection, statement->name, parameter_count, parameter_values, NULL, NULL, 0))
		raise_connection_error(connection, "sending a statement");
	if (pipelined)
	{
		connection->pipeline_queries++;
		end_pipeline(connection);
	}
	flush_connection(connection);
}

/*
 * wait_until_readable sleeps until the connection's socket has data or the
 * latch is set (interrupts are serviced then), with a wait set kept for the
 * connection's life: one system call per wait on the hot path.
 */
static void
wait_until_readable(WorkerConnection *connection)
{
	if (connection->read_events == NULL)
	{
		connection->read_events = CreateWaitEventSet(TopMemoryContext, 3);
		AddWaitEventToSet(connection->read_events, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(connection->read_events, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		AddWaitEventToSet(connection->read_events, WL_SOCKET_READABLE, PQsocket(connection->pg_connection), NULL, NULL);
	}
	WaitEvent event;
	int count = WaitEventSetWait(connection->read_events, -1, &event, 1, PG_WAIT_EXTENSION);
	if (count > 0 && (event.events & WL_LATCH_SET))
	{
		ResetLatch(MyLatch);
		check_for_deadlock_victim();
		CHECK_FOR_INTERRUPTS();
	}
}

/* Waits until a result can be read without blocking. */
static void
wait_for_result(WorkerConnection *connection)
{
	/* PQisBusy only parses what libpq has buffered: no system call */
	while (PQisBusy(connection->pg_connection))
	{
		wait_until_readable(connection);
		if (!PQconsumeInput(connection->pg_connection))
			raise_connection_error(connection, "waiting for a result");
	}
}

/* Whether a shard id belongs to some distributed or reference table. */
static bool
is_known_shard(int64 shard_id)
{
	List *table_ids = distributed_table_ids();
	ListCell *cell;
	foreach (cell, table_ids)
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		for (int s = 0; table != NULL && s < table->shard_count; s++)
			if (table->shards[s].shard_id == shard_id)
				return true;
	}
	return false;
}

/*
 * without_shard_names turns shard names in a worker's message back into the
 * names the user knows: a quoted "accounts_102008" or "accounts_pkey_102008"
 * whose suffix is a shard id loses the suffix, so messages read as they
 * would on plain PostgreSQL.
 */
static char *
without_shard_names(const char *message)
{
	if (message == NULL || !IsTransactionState())
		return message != NULL ? pstrdup(message) : NULL;
	StringInfoData result;
	initStringInfo(&result);
	const char *c = message;
	while (*c)
	{
		if (*c != '"')
		{
			appendStringInfoChar(&result, *c++);
			continue;
		}
		const char *end = strchr(c + 1, '"');
		if (end == NULL)
		{
			appendStringInfoString(&result, c);
			break;
		}
		const char *underscore = NULL;
		for (const char *p = end - 1; p > c + 1 && isdigit((unsigned char) *p); p--)
			underscore = p - 1;
		if (underscore != NULL && *underscore == '_' && end - underscore > 1 &&
			is_known_shard(strtoll(underscore + 1, NULL, 10)))
		{
			appendBinaryStringInfo(&result, c, (int) (underscore - c));
			appendStringInfoChar(&result, '"');
		}
		else
			appendBinaryStringInfo(&result, c, (int) (end - c + 1));
		c = end + 1;
	}
	return result.data;
}

/* Turns a worker's error result into our ERROR, keeping SQLSTATE, detail, hint. */
static void
raise_remote_error(WorkerConnection *connection, PGresult *result)
{
	const char *sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
	const char *message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT);
	int code = ERRCODE_INTERNAL_ERROR;
	if (sqlstate != NULL && strlen(sqlstate) == 5)
		code = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4]);
	char *message_copy = without_shard_names(message ? message : PQresultErrorMessage(result));
	char *detail_copy = without_shard_names(detail);
	char *hint_copy = hint ? pstrdup(hint) : NULL;
	char *node_name = pstrdup(worker_connection_name(connection));
	PQclear(result);
	ereport(ERROR, (errcode(code), errmsg("%s", message_copy), detail_copy ? errdetail("%s", detail_copy) : 0,
					hint_copy ? errhint("%s", hint_copy) : 0,
					errcontext("on worker node %s", node_name)));
}

void
worker_connection_stream_rows(WorkerConnection *connection)
{
	if (connection->pipeline_queries > 0)
		connection->stream_query = connection->pipeline_queries; /* the statement is the last query sent */
	else
		(void) PQsetSingleRowMode(connection->pg_connection); /* if refused, rows come in one result */
}

/*
 * ReceivedResults holds the results a receive keeps while it waits for more:
 * a wait can raise (a cancel, a lost connection), and then they are cleared.
 */
typedef struct ReceivedResults
{
	PGresult *last;
	PGresult *error;
} ReceivedResults;

static void
clear_received(ReceivedResults *received)
{
	if (received->last != NULL)
		PQclear(received->last);
	if (received->error != NULL)
		PQclear(received->error);
	received->last = received->error = NULL;
}

/* Hands a result with rows to the consumer and clears it, whatever the consumer does. */
static void
consume_rows(PGresult *result, WorkerRowConsumer consume, void *context)
{
	PG_TRY();
	{
		consume(result, context);
	}
	PG_CATCH();
	{
		PQclear(result);
		PG_RE_THROW();
	}
	PG_END_TRY();
	PQclear(result);
}

/*
 * keep_result files one result of the command: errors (the first one counts),
 * rows for the consumer, or the latest status.
 */
static void
keep_result(ReceivedResults *received, PGresult *result, WorkerRowConsumer consume, void *context)
{
	ExecStatusType status = PQresultStatus(result);
	if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR)
	{
		if (received->error == NULL)
			received->error = result;
		else
			PQclear(result);
		return;
	}
	if (consume != NULL && status == PGRES_SINGLE_TUPLE)
	{
		consume_rows(result, consume, context);
		return;
	}
	if (received->last != NULL)
		PQclear(received->last);
	received->last = result; /* kept before the consumer runs, so an error clears it too */
	if (consume != NULL && status == PGRES_TUPLES_OK && PQntuples(result) > 0)
		consume(result, context); /* not streamed (single-row mode refused): all rows in one result */
}

/*
 * receive_pipeline_into reads the results of a pipeline (BEGIN, maybe a
 * prepare, the statement, the sync point) and leaves pipeline mode.
 */
static void
receive_pipeline_into(WorkerConnection *connection, ReceivedResults *received, WorkerRowConsumer consume,
					  void *context)
{
	int queries = connection->pipeline_queries;
	for (int query = 0; query <= queries; query++)
	{
		/* single-row mode is chosen per query, before its first result is read */
		if (connection->stream_query == query + 1)
			(void) PQsetSingleRowMode(connection->pg_connection);
		for (;;)
		{
			wait_for_result(connection);
			PGresult *result = PQgetResult(connection->pg_connection);
			if (result == NULL)
			{
				if (PQstatus(connection->pg_connection) == CONNECTION_BAD)
					raise_connection_error(connection, "running a command");
				break;
			}
			ExecStatusType status = PQresultStatus(result);
			if (status == PGRES_PIPELINE_SYNC)
			{
				PQclear(result);
				query = queries; /* the sync point ends the pipeline */
				break;
			}
			bool is_error = status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR;
			if (is_error || (query == queries - 1 && status != PGRES_PIPELINE_ABORTED))
				keep_result(received, result, consume, context);
			else
				PQclear(result);
		}
	}
}

/* receive_into reads every result of the command sent last. */
static void
receive_into(WorkerConnection *connection, ReceivedResults *received, WorkerRowConsumer consume, void *context,
			 PGresult **copy_result)
{
	for (;;)
	{
		wait_for_result(connection);
		PGresult *result = PQgetResult(connection->pg_connection);
		if (result == NULL)
			break;
		ExecStatusType status = PQresultStatus(result);
		if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT)
		{
			*copy_result = result; /* the caller streams the data, the command stays busy */
			return;
		}
		keep_result(received, result, consume, context);
	}
}

/* The work of worker_connection_receive(_rows): results read, kept ones cleared on any error. */
static PGresult *
receive_results(WorkerConnection *connection, WorkerRowConsumer consume, void *context)
{
	ReceivedResults received = {NULL, NULL};
	ReceivedResults *volatile received_pointer = &received;
	PGresult *copy_result = NULL;
	PGresult **copy_pointer = &copy_result;
	bool pipelined = connection->pipeline_queries > 0;
	PG_TRY();
	{
		if (pipelined)
			receive_pipeline_into(connection, received_pointer, consume, context);
		else
			receive_into(connection, received_pointer, consume, context, copy_pointer);
	}
	PG_CATCH();
	{
		clear_received(received_pointer);
		connection->stream_query = 0;
		PG_RE_THROW();
	}
	PG_END_TRY();
	connection->stream_query = 0;
	if (copy_result != NULL)
	{
		clear_received(&received); /* a BEGIN sent along */
		return copy_result;
	}
	connection->busy = false;
	if (pipelined)
	{
		(void) PQexitPipelineMode(connection->pg_connection);
		connection->pipeline_queries = 0;
		if (received.error != NULL && connection->pipeline_prepare_key != 0 && connection->prepared_statements != NULL)
		{
			/* a statement prepared in the failed pipeline may not exist on the worker */
			hash_search(connection->prepared_statements, &connection->pipeline_prepare_key, HASH_REMOVE, NULL);
		}
		connection->pipeline_prepare_key = 0;
	}
	if (received.error != NULL)
	{
		if (received.last != NULL)
			PQclear(received.last);
		if (!pipelined && PQstatus(connection->pg_connection) == CONNECTION_BAD)
		{
			PQclear(received.error);
			raise_connection_error(connection, "running a command");
		}
		raise_remote_error(connection, received.error);
	}
	return received.last;
}

PGresult *
worker_connection_receive(WorkerConnection *connection)
{
	return receive_results(connection, NULL, NULL);
}

PGresult *
worker_connection_receive_rows(WorkerConnection *connection, WorkerRowConsumer consume, void *context)
{
	return receive_results(connection, consume, context);
}

void
worker_connection_execute(WorkerConnection *connection, const char *sql)
{
	worker_connection_send(connection, sql);
	PGresult *result = worker_connection_receive(connection);
	if (result != NULL)
		PQclear(result);
}

/*
 * abandon_connection closes the socket of a connection whose command will
 * never be answered in time (commit and abort cannot wait for ever): the
 * entry stays, with no libpq connection, and the next use of its group opens
 * a new one.
 */
static void
abandon_connection(WorkerConnection *connection, const char *sql, const char *why)
{
	ereport(WARNING, (errmsg("gave up on \"%s\" on worker node %s: %s", sql, worker_connection_name(connection), why),
					  errhint("A transaction left prepared there is finished by shaled's two-phase commit recovery.")));
	if (connection->read_events != NULL)
		FreeWaitEventSet(connection->read_events);
	connection->read_events = NULL;
	PQfinish(connection->pg_connection);
	connection->pg_connection = NULL;
	connection->busy = false;
}

/*
 * wait_quietly waits for the socket during commit or abort, where nothing may
 * raise: no interrupt is serviced, and the wait ends at the deadline or when
 * the postmaster dies (exiting here, in the middle of a commit, would PANIC).
 * Returns false when it gave up.
 */
static bool
wait_quietly(WorkerConnection *connection, int events, TimestampTz deadline, const char *sql)
{
	long remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
	if (remaining <= 0)
	{
		abandon_connection(connection, sql, psprintf("no answer within shale.remote_commit_timeout (%d ms)",
													 remote_commit_timeout_ms));
		return false;
	}
	int result = WaitLatchOrSocket(NULL, events | WL_TIMEOUT | WL_POSTMASTER_DEATH, PQsocket(connection->pg_connection),
								   remaining, PG_WAIT_EXTENSION);
	if (result & WL_POSTMASTER_DEATH)
	{
		abandon_connection(connection, sql, "the router's postmaster died");
		return false;
	}
	return true;
}

static TimestampTz
quiet_deadline(void)
{
	return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), remote_commit_timeout_ms);
}

bool
worker_connection_send_quietly(WorkerConnection *connection, const char *sql)
{
	PGconn *pg_connection = connection->pg_connection;
	if (PQstatus(pg_connection) != CONNECTION_OK || !PQsendQuery(pg_connection, sql))
	{
		ereport(WARNING, (errmsg("could not send \"%s\" to worker node %s: %s", sql,
								 worker_connection_name(connection), PQerrorMessage(pg_connection))));
		return false;
	}
	TimestampTz deadline = quiet_deadline();
	while (PQflush(pg_connection) == 1)
		if (!wait_quietly(connection, WL_SOCKET_WRITEABLE, deadline, sql))
			return false;
	return true;
}

bool
worker_connection_finish_quietly(WorkerConnection *connection, const char *sql)
{
	PGconn *pg_connection = connection->pg_connection;
	if (pg_connection == NULL)
		return false; /* abandoned while its command was sent */
	bool succeeded = true;
	TimestampTz deadline = quiet_deadline();
	for (;;)
	{
		while (PQisBusy(pg_connection))
		{
			if (!PQconsumeInput(pg_connection))
				break;
			if (PQisBusy(pg_connection) && !wait_quietly(connection, WL_SOCKET_READABLE, deadline, sql))
				return false;
		}
		PGresult *result = PQgetResult(pg_connection);
		if (result == NULL)
			break;
		if (PQresultStatus(result) == PGRES_FATAL_ERROR)
		{
			ereport(WARNING, (errmsg("\"%s\" failed on worker node %s: %s", sql, worker_connection_name(connection),
									 PQresultErrorMessage(result))));
			succeeded = false;
		}
		PQclear(result);
		if (PQstatus(pg_connection) == CONNECTION_BAD)
		{
			succeeded = false;
			break;
		}
	}
	return succeeded;
}

/*
 * worker_connection_execute_quietly runs sql for commit or abort processing.
 * Interrupts are held there, so waits cannot raise; failures become WARNINGs.
 */
bool
worker_connection_execute_quietly(WorkerConnection *connection, const char *sql)
{
	return worker_connection_send_quietly(connection, sql) && worker_connection_finish_quietly(connection, sql);
}

WorkerConnection *
worker_connection_wait_for_any(List *connections)
{
	if (list_length(connections) == 1)
	{
		/* the common case: the connection's own wait set, no extra system calls */
		WorkerConnection *connection = (WorkerConnection *) linitial(connections);
		while (PQisBusy(connection->pg_connection))
		{
			wait_until_readable(connection);
			if (!PQconsumeInput(connection->pg_connection))
				break; /* the receive reports the broken connection */
		}
		return connection;
	}
	for (;;)
	{
		ListCell *cell;
		foreach (cell, connections)
		{
			WorkerConnection *connection = (WorkerConnection *) lfirst(cell);
			if (!PQconsumeInput(connection->pg_connection) || !PQisBusy(connection->pg_connection))
				return connection; /* a result, or a broken socket the receive will report */
		}
		WaitEventSet *events = CreateWaitEventSet(CurrentMemoryContext, list_length(connections) + 2);
		AddWaitEventToSet(events, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(events, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		foreach (cell, connections)
			AddWaitEventToSet(events, WL_SOCKET_READABLE, PQsocket(((WorkerConnection *) lfirst(cell))->pg_connection),
							  NULL, NULL);
		WaitEvent event;
		int count = WaitEventSetWait(events, -1, &event, 1, PG_WAIT_EXTENSION);
		FreeWaitEventSet(events);
		if (count > 0 && (event.events & WL_LATCH_SET))
		{
			ResetLatch(MyLatch);
			check_for_deadlock_victim();
			CHECK_FOR_INTERRUPTS();
		}
	}
}

void
worker_connection_put_copy_data(WorkerConnection *connection, const char *data, int length)
{
	int put_result;
	while ((put_result = PQputCopyData(connection->pg_connection, data, length)) == 0)
		wait_for_socket(connection->pg_connection, WL_SOCKET_WRITEABLE, -1);
	if (put_result < 0)
		raise_connection_error(connection, "sending COPY data");
	if (PQflush(connection->pg_connection) < 0)
		raise_connection_error(connection, "sending COPY data");
}

void
worker_connection_send_copy_end(WorkerConnection *connection)
{
	int end_result;
	while ((end_result = PQputCopyEnd(connection->pg_connection, NULL)) == 0)
		wait_for_socket(connection->pg_connection, WL_SOCKET_WRITEABLE, -1);
	if (end_result < 0)
		raise_connection_error(connection, "ending COPY");
	flush_connection(connection);
}

void
worker_connection_end_copy(WorkerConnection *connection)
{
	worker_connection_send_copy_end(connection);
	PGresult *result = worker_connection_receive(connection);
	if (result != NULL)
		PQclear(result);
}

int
worker_connection_get_copy_data(WorkerConnection *connection, char **buffer)
{
	for (;;)
	{
		int length = PQgetCopyData(connection->pg_connection, buffer, 1);
		if (length > 0)
			return length;
		if (length == -2)
			raise_connection_error(connection, "reading COPY data");
		if (length == -1)
		{
			/* end of data: collect the COPY command's own result */
			PGresult *result = worker_connection_receive(connection);
			if (result != NULL)
				PQclear(result);
			return -1;
		}
		wait_for_socket(connection->pg_connection, WL_SOCKET_READABLE, -1);
		if (!PQconsumeInput(connection->pg_connection))
			raise_connection_error(connection, "reading COPY data");
	}
}

/*
 * worker_connection_discard cancels the command a connection may still be
 * running (so a Ctrl-C on the router stops the worker's work too) and closes it.
 */
void
worker_connection_discard(WorkerConnection *connection)
{
	if (connection->busy && connection->pg_connection != NULL)
	{
		PGcancel *cancel = PQgetCancel(connection->pg_connection);
		if (cancel != NULL)
		{
			char error_buffer[256];
			(void) PQcancel(cancel, error_buffer, sizeof(error_buffer));
			PQfreeCancel(cancel);
		}
	}
	forget_connection(connection);
}
