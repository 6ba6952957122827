/*
 * shard_operation.h — online shard moves and splits.
 *
 * An operation copies a set of co-located shards ("pieces") from their source
 * group to target groups with logical replication while the application
 * writes, blocks writes to those tables at the router for a moment, lets the
 * targets catch up, and switches the catalog. Until the catalog switch commits
 * the source shards serve everything; after it, the targets do. Either way the
 * other side's leftovers are dropped by cleanup_operation_leftovers.
 *
 * Flow: shard_move.cpp (SQL entry points, cutover) → shard_operation_plan.cpp
 * (which pieces) → logical_copy.cpp (publications, subscriptions, catch-up)
 * → target_foreign_keys.cpp (keys of the new shards) → operation_log.cpp (progress rows) → operation_cleanup.cpp (leftovers).
 */
#ifndef SHALE_SHARD_OPERATION_H
#define SHALE_SHARD_OPERATION_H

#include "shale/connection/worker_connection.h"

/* One shard table as it will exist after the operation. */
typedef struct ShardPiece
{
	Oid table_id;
	int64 old_shard_id;	  /* the source shard it comes from */
	int64 new_shard_id;	  /* == old_shard_id for a move */
	int64 hash_min;
	int64 hash_max;
	int target_group;
	char *old_name;		  /* quoted qualified name of the source shard */
	char *new_name;		  /* quoted qualified name of the new shard */
} ShardPiece;

typedef enum ShardOperationKind
{
	SHARD_OPERATION_MOVE,
	SHARD_OPERATION_SPLIT
} ShardOperationKind;

typedef struct ShardOperation
{
	int64 operation_id;
	ShardOperationKind kind;
	int source_group;
	List *pieces;		  /* ShardPiece *, grouped by table */
	List *target_groups;  /* IntList, each once */
	List *table_ids;	  /* OidList of the co-located tables, each once */
	List *old_shard_ids;  /* the source shards, as int64 * */
	int64 source_bytes;	  /* size of the source shards when the copy started */
	WorkerConnection *source; /* side connections, NULL when not open */
	List *targets;		  /* WorkerConnection * per target group, parallel to target_groups */
	bool writes_blocked;  /* the cutover's write block is held */
} ShardOperation;

/* Plans a move of a shard and its co-located shards; ERROR on bad input. */
ShardOperation *plan_shard_move(int64 shard_id, int to_group);

/* Plans a split of a shard and its co-located shards at split_at (upper half starts after it). */
ShardOperation *plan_shard_split(int64 shard_id, int64 split_at, int lower_group, int upper_group);

/* Names of the replication objects of one operation and target group. */
char *operation_object_name(int64 operation_id, int target_group);

/* Creates the target tables, publications and subscriptions; the initial copy starts. */
void logical_copy_start(ShardOperation *operation);

/* Waits until the initial copy is done, recording progress; ERROR after timeout_ms. */
void logical_copy_wait_synced(ShardOperation *operation, int timeout_ms);

/*
 * Writes a new marker token on the source and waits until every target has
 * applied it, i.e. everything committed on the source shards before it.
 * Returns false after timeout_ms.
 */
bool logical_copy_catch_up(ShardOperation *operation, int timeout_ms);

/*
 * Adds the foreign keys of the pieces' tables to the new shards, NOT VALID
 * (in the cutover: the targets hold exactly what the source held). Waits for
 * locks at most timeout_ms.
 */
void add_target_foreign_keys(ShardOperation *operation, long timeout_ms);

/* A statement that validates the NOT VALID foreign keys of the named tables (quoted qualified names). */
char *validate_foreign_keys_command(List *tables);

/* Sleeps a little, waking for interrupts (Ctrl-C, statement_timeout). */
void operation_pause_ms(long milliseconds);

/* Inserts the operation row (through its own connection, so progress is visible at once). */
int64 operation_log_start(ShardOperation *operation);
/* Updates phase and progress of the running operation; never raises. */
void operation_log_progress(ShardOperation *operation, const char *phase, int64 bytes, int64 rows);
/* Records the catalog switch and how long writes were blocked; never raises. */
void operation_log_switched(ShardOperation *operation, long write_block_ms);
/* Marks the operation failed with the error message (finished once cleaned up); never raises. */
void operation_log_failed(ShardOperation *operation, const char *error, bool cleaned_up);
/* Closes the progress connection. */
void operation_log_close(void);

/*
 * Drops what an operation left on the workers: the replication objects, and
 * the target tables (not switched) or the source shards (switched). Quiet:
 * returns false and logs a WARNING when a group cannot be reached.
 */
bool cleanup_operation_leftovers(int64 operation_id, int source_group, List *target_groups, List *source_tables,
								 List *target_tables, List *target_table_groups, bool switched);

/* The reference tables (OidList) with no copy on the group. */
List *reference_tables_missing_on(int group_id);

/* Defines shale.shard_copy_timeout and shale.cutover_timeout (from _PG_init). */
void shard_operation_define_settings(void);

#endif
