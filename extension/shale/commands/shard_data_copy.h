/*
 * shard_data_copy.h — moves rows between the router's local table and shards,
 * for distribute_table, make_reference_table and undistribute_table.
 */
#ifndef SHALE_SHARD_DATA_COPY_H
#define SHALE_SHARD_DATA_COPY_H

#include "shale/commands/shard_row_router.h"

/* Sends every row of the local table to its shard; returns the row count. */
uint64 copy_local_rows_to_shards(Relation relation, const ShardDestination *destination);

/* Appends the rows of one shard, read from its group, to the local table. */
uint64 copy_shard_rows_to_local(Relation relation, int group_id, int64 shard_id);

#endif
