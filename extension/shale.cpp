/*
 * shale.cpp — the extension's entry point: module magic, settings, hooks.
 *
 * A statement's path through Shale follows the folders: metadata/ (what is
 * distributed where) → planner/ (which statements touch distributed tables) →
 * connection/ (libpq to worker groups) → transaction/ (commit across groups);
 * commands/ holds the SQL API and the handling of utility statements.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "utils/guc.h"
}

#include "shale/commands/utility_hook.h"
#include "shale/insights/query_stats.h"
#include "shale/connection/worker_connection.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/planner/planner_hook.h"
#include "shale/transaction/distributed_deadlock.h"
#include "shale/transaction/remote_transaction.h"
#include "shale/operations/shard_operation.h"

/* PostgreSQL 15 marks nothing as exported and we build with hidden visibility. */
#pragma GCC visibility push(default)
extern "C" {
PG_MODULE_MAGIC;
}
#pragma GCC visibility pop

SHALE_EXPORT void _PG_init(void);

/*
 * _PG_init registers settings and installs hooks. Shale must be in
 * shared_preload_libraries so that every backend has its hooks from the start.
 */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shale must be loaded via shared_preload_libraries"),
				 errhint("Add shale to shared_preload_libraries in postgresql.conf and restart.")));

	worker_connection_define_settings();
	shard_operation_define_settings();
	metadata_cache_init();
	remote_transaction_init();
	distributed_deadlock_init();
	planner_hook_init();
	utility_hook_init();
	query_stats_init();
}
