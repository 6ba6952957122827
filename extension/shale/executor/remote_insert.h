/*
 * remote_insert.h — runs INSERT into a distributed or reference table: rows
 * come from a child plan on the router (VALUES, defaults and sequences are
 * evaluated there, once), are grouped by shard, and are sent as multi-row
 * INSERTs with text parameters.
 */
#ifndef SHALE_REMOTE_INSERT_H
#define SHALE_REMOTE_INSERT_H

#include "shale/connection/worker_connection.h"
#include "shale/executor/remote_scan.h"

/*
 * What the planner stores for an INSERT (RemotePlan.insert_info), as a List:
 *   [insert query (Query), target attnos (IntList), distribution column index
 *    (Integer, -1 for reference tables), parameter offset (Integer),
 *    single-row template (List)]
 */
List *make_insert_info(Query *insert_query, List *target_attnos, int distribution_index, int parameter_offset);

/* Builds the INSERT of row_count rows of parameters (after parameter_offset) as a shard template. */
List *insert_statement_template(Query *insert_query, List *target_attnos, int row_count, int parameter_offset);

/*
 * Runs the insert: reads every row of the child plan state, sends them in
 * batches, adds the row count to es_processed, and hands the RETURNING rows to
 * consume (NULL without RETURNING). Memory stays bounded by the batches, not
 * by the number of rows.
 */
void run_remote_insert(CustomScanState *node, const RemotePlan *plan, PlanState *child, WorkerRowConsumer consume,
					   void *consume_context);

#endif
