/*
 * shard_data_copy.h — moves rows between the router's local table and shards,
 * for distribute_table, make_reference_table and undistribute_table.
 */
#ifndef SHALE_SHARD_DATA_COPY_H
#define SHALE_SHARD_DATA_COPY_H

#include "hash_ranges.h"

/* Where the rows of a local table go: one entry per shard. */
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

/* Sends every row of the local table to its shard; returns the row count. */
uint64 copy_local_rows_to_shards(Relation relation, const ShardDestination *destination);

/* Appends the rows of one shard, read from its group, to the local table. */
uint64 copy_shard_rows_to_local(Relation relation, int group_id, int64 shard_id);

/* The COPY column list "(a, b, …)" of a table: every column but generated ones. */
char *copy_column_list(Relation relation);

#endif
