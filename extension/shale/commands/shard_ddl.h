/*
 * shard_ddl.h — SQL that creates a shard table like its table on the router.
 */
#ifndef SHALE_SHARD_DDL_H
#define SHALE_SHARD_DDL_H

/* CREATE TABLE (and CREATE INDEX) commands for one shard of table_id, as a List of char *. */
List *shard_create_commands(Oid table_id, int64 shard_id);

/* CREATE INDEX for one index of a table on one of its shards, under the shard's index name. */
char *shard_index_command(Oid index_id, int64 shard_id);

/* The same, optionally CREATE INDEX CONCURRENTLY. */
char *shard_index_command_with(Oid index_id, int64 shard_id, bool concurrently);

#endif
