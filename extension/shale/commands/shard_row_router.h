/*
 * shard_row_router.h — sends rows to their shards in batches over COPY.
 *
 * Used by distribute_table (rows already in the table) and by COPY FROM into
 * distributed and reference tables. Rows are buffered per shard in COPY text
 * format; a full batch is sent while the router goes on reading rows, so the
 * router and the worker groups work at the same time.
 */
#ifndef SHALE_SHARD_ROW_ROUTER_H
#define SHALE_SHARD_ROW_ROUTER_H

#include "hash_ranges.h"

/* Where rows go: one entry per shard. */
typedef struct ShardDestination
{
	int shard_count;
	const ShaleHashRange *ranges; /* sorted; covers the space */
	const int64 *shard_ids;
	const int *group_ids;  /* the group of each shard; ignored when to_every_group */
	bool to_every_group;   /* reference table: one shard, a copy in every group */
	List *every_group_ids; /* the groups, when to_every_group */
	AttrNumber distribution_attnum;
	FmgrInfo *hash_function;
	Oid collation;
} ShardDestination;

typedef struct ShardRowRouter ShardRowRouter;

/* The destination of an existing distributed or reference table, from the metadata cache. */
ShardDestination shard_destination_of(Oid table_id);

/* A router for rows of relation (values for every attribute, as a tuple has them). */
ShardRowRouter *shard_row_router_create(Relation relation, const ShardDestination *destination);

/* Adds one row; raises an error for a NULL distribution value. */
void shard_row_router_add(ShardRowRouter *router, Datum *values, bool *nulls);

/* Sends what is left, waits for every worker, and returns the number of rows. */
uint64 shard_row_router_finish(ShardRowRouter *router);

/* Whether COPY moves a column: every column but dropped and generated ones (the worker computes those). */
bool column_is_copied(Form_pg_attribute attribute);

/* The COPY column list "(a, b, …)" of a table: every column but generated ones. */
char *copy_column_list(Relation relation);

#endif
