/*
 * worker_connection.h — libpq connections from this backend to worker nodes.
 *
 * Connections are cached per backend and per node, so a second statement to
 * the same group opens nothing. Every wait goes through the backend's latch,
 * so Ctrl-C and statement_timeout interrupt it; remote work in flight is then
 * cancelled by the transaction layer.
 */
#ifndef SHALE_WORKER_CONNECTION_H
#define SHALE_WORKER_CONNECTION_H

#include "libpq-fe.h"

typedef struct WorkerConnection
{
	int group_id;
	int node_id;
	char *host;
	int port;
	PGconn *pg_connection;
	bool busy;				  /* a command was sent and its results not all read */
	bool in_transaction;	  /* BEGIN sent in the current local transaction */
	bool wrote;				  /* the current transaction wrote through it */
	bool prepared;			  /* PREPARE TRANSACTION done in this transaction */
	bool finishing;			  /* COMMIT / ROLLBACK PREPARED sent, result not read */
	List *savepoints;		  /* subtransactions with a remote savepoint, oldest first (in TopMemoryContext) */
	TimestampTz last_used_at; /* statement start time of its last use */
	const char *pending_begin; /* BEGIN to send with the next command (saves a round trip), or NULL */
	int pipeline_queries;	  /* queries sent in pipeline mode, whose results are not read yet */
	uint64 pipeline_prepare_key; /* a statement prepared in that pipeline (forgotten if it fails) */
	char *time_zone;		  /* synced settings last sent to the worker session ("zone|lock timeout"), or NULL */
	struct HTAB *prepared_statements; /* statements prepared on this session, by text */
	struct WaitEventSet *read_events; /* latch + this socket, kept for the connection's life */
	int prepared_count;
	int stream_query;		  /* pipeline: 1 + index of the query whose rows come one at a time, or 0 */
	uint64 side_id;			  /* side connections: a number no other connection of this backend had, else 0 */
	struct WorkerConnection *next;
} WorkerConnection;

void worker_connection_define_settings(void);

/* The cached connection to the primary of a group, opened if needed. ERROR if unreachable. */
WorkerConnection *worker_connection_for_group(int group_id);

/*
 * A new, uncached connection to a group's primary, outside the transaction;
 * close it with worker_connection_discard. The side connections still open
 * when the local transaction ends (an error skipped their clean-up) are
 * closed then, by worker_connections_close_side.
 */
WorkerConnection *worker_connection_open_side(int group_id);

/* The side connection with this side_id, or NULL once it is closed. */
WorkerConnection *worker_connection_find_side(uint64 side_id);

/* Closes every side connection left open (at the end of the local transaction). */
void worker_connections_close_side(void);
/* Closes idle connections beyond shale.max_cached_connections (at transaction end). */
void worker_connections_trim(void);

/* Every connection this backend holds (a linked list). */
WorkerConnection *worker_connections_all(void);

/* Sends a command without waiting. ERROR if the send fails. */
void worker_connection_send(WorkerConnection *connection, const char *sql);

/* Sends a statement with text parameters ($1 …) without waiting. */
void worker_connection_send_with_parameters(WorkerConnection *connection, const char *sql, int parameter_count,
											const Oid *parameter_types, const char *const *parameter_values);

/*
 * Like worker_connection_send_with_parameters, but prepares the statement on
 * the worker the first time this connection sees its text (and parameter
 * types), and from then on only executes it: the worker parses and plans a
 * repeated statement once.
 */
void worker_connection_send_prepared(WorkerConnection *connection, const char *sql, int parameter_count,
									 const Oid *parameter_types, const char *const *parameter_values);

/*
 * Makes the worker session's settings that change results or waits match
 * this session's (TimeZone, lock_timeout), before a statement is sent.
 */
void worker_connection_prepare_statement(WorkerConnection *connection);

/*
 * Waits for the command sent last and returns its last result (caller PQclears),
 * raising the worker's error as ours, with its SQLSTATE, detail and hint.
 */
PGresult *worker_connection_receive(WorkerConnection *connection);

/* Takes one result holding rows of a streamed command; it must not keep the PGresult. */
typedef void (*WorkerRowConsumer)(PGresult *rows, void *context);

/*
 * Asks for the rows of the command just sent one at a time (libpq's
 * single-row mode), so a large result never sits whole in memory: call it
 * right after the send, then read with worker_connection_receive_rows.
 */
void worker_connection_stream_rows(WorkerConnection *connection);

/*
 * Like worker_connection_receive, but hands every result that holds rows to
 * consume (one row each when streamed) and clears it, also when consume
 * raises. Returns the command's final result (its status and row count; the
 * caller PQclears it), or NULL.
 */
PGresult *worker_connection_receive_rows(WorkerConnection *connection, WorkerRowConsumer consume, void *context);

/* send + receive, discarding the result. */
void worker_connection_execute(WorkerConnection *connection, const char *sql);

/*
 * Runs a command during commit or abort, where raising an ERROR is not allowed:
 * returns false and logs a WARNING instead.
 */
bool worker_connection_execute_quietly(WorkerConnection *connection, const char *sql);

/* The two halves of worker_connection_execute_quietly, to run a command on several groups at once. */
bool worker_connection_send_quietly(WorkerConnection *connection, const char *sql);
bool worker_connection_finish_quietly(WorkerConnection *connection, const char *sql);

/*
 * Waits until one of the busy connections (a List of WorkerConnection *) has
 * its result ready, and returns it; a failure on any of them is seen at once,
 * not after the others finish.
 */
WorkerConnection *worker_connection_wait_for_any(List *connections);

/* Sends data of a COPY FROM STDIN started with worker_connection_send. */
void worker_connection_put_copy_data(WorkerConnection *connection, const char *data, int length);

/* Ends a COPY FROM STDIN without waiting: worker_connection_receive reads its result later. */
void worker_connection_send_copy_end(WorkerConnection *connection);

/* Ends a COPY FROM STDIN and raises the worker's error, if any. */
void worker_connection_end_copy(WorkerConnection *connection);

/*
 * Reads the next row of a COPY TO STDOUT into *buffer (PQfreemem it); returns
 * its length, or -1 at the end of the data.
 */
int worker_connection_get_copy_data(WorkerConnection *connection, char **buffer);

/* Cancels what a busy connection runs and closes it; used on abort. */
void worker_connection_discard(WorkerConnection *connection);

/* "host:port" of a connection, for messages. */
/* The extra libpq options of shale.node_conninfo (the password file, sslmode, …), "" when none. */
const char *worker_connection_extra_options(void);
const char *worker_connection_name(const WorkerConnection *connection);

#endif
