/*
 * ddl_propagation.h — DDL on distributed and reference tables, carried to
 * every shard in the same distributed transaction.
 */
#ifndef SHALE_DDL_PROPAGATION_H
#define SHALE_DDL_PROPAGATION_H

extern "C" {
#include "tcop/utility.h"
}

/*
 * Runs a utility statement that changes a distributed or reference table, on
 * the router and on every shard; returns false when it is not a kind this
 * file handles (the caller refuses it). Raises an error for refused forms.
 */
bool propagate_ddl(Oid table_id, PlannedStmt *planned, const char *query_string, bool read_only_tree,
				   ProcessUtilityContext context, ParamListInfo parameters, QueryEnvironment *environment,
				   DestReceiver *destination, QueryCompletion *completion, ProcessUtility_hook_type next_hook);

#endif
