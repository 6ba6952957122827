/*
 * metadata_cache.h — the backend-local copy of Shale's catalog.
 *
 * Loaded on first use and dropped whenever a catalog table changes (a trigger
 * on each catalog table sends a relcache invalidation that every backend sees),
 * so planning a query reads no catalog table.
 */
#ifndef SHALE_METADATA_CACHE_H
#define SHALE_METADATA_CACHE_H

#include "hash_ranges.h"

/* One shard of a table, with the worker groups that hold it. */
typedef struct ShardEntry
{
	int64 shard_id;
	int64 hash_min;
	int64 hash_max;
	int placement_count;
	int *placement_group_ids;
	char *qualified_name; /* "schema"."table_<id>", filled on first use */
} ShardEntry;

typedef enum TableKind
{
	TABLE_KIND_DISTRIBUTED,
	TABLE_KIND_REFERENCE
} TableKind;

/* A distributed or reference table: its shards sorted by hash_min. */
typedef struct DistributedTable
{
	Oid table_id; /* hash key */
	TableKind kind;
	AttrNumber distribution_attnum; /* InvalidAttrNumber for reference tables */
	Oid distribution_type;
	Oid distribution_collation;
	int colocation_id;
	int shard_count;
	ShardEntry *shards;
	ShaleHashRange *ranges; /* parallel to shards, for binary search */
	FmgrInfo hash_function; /* valid for distributed tables */
} DistributedTable;

/* A registered node. */
typedef struct NodeEntry
{
	int node_id;
	char *host;
	int port;
	int group_id;
	bool is_primary;
} NodeEntry;

/* A worker group (or the router group, 0) and its current primary. */
typedef struct GroupEntry
{
	int group_id;
	bool writable; /* state = active or draining */
	bool accepts_shards; /* state = active: moves and splits may target it */
	const NodeEntry *primary; /* NULL when the group has none */
} GroupEntry;

void metadata_cache_init(void);

/* Whether CREATE EXTENSION shale has run in this database (cheap after the first call). */
bool shale_extension_present(void);

/* The cache entry of a distributed or reference table, or NULL. Cheap. */
DistributedTable *distributed_table_lookup(Oid table_id);

/* The oids of every distributed and reference table. */
List *distributed_table_ids(void);

/* Whether any table is distributed in this database: lets the planner hook skip work. */
bool any_distributed_table_exists(void);

/* The group's entry, or NULL when no such group exists. */
const GroupEntry *group_lookup(int group_id);

/* Worker groups (id > 0) that have a primary and accept writes, in id order. */
List *writable_worker_group_ids(void);

/* Every registered node. Array of count entries, owned by the cache. */
const NodeEntry *all_nodes(int *count);

/* The shard of table holding the given hash, or NULL. */
const ShardEntry *shard_for_hash(const DistributedTable *table, int64 hash);

/* The worker groups that hold any placement of the table (an IntList, each once). */
List *table_group_ids(const DistributedTable *table);

/* The shard's quoted, qualified name, kept in the cache after the first call. */
const char *shard_entry_name(const DistributedTable *table, const ShardEntry *shard);

/* Drops every backend's cached metadata (after a change the catalog tables do not show, like a rename). */
void invalidate_metadata_everywhere(void);

/* The oid of the catalog table shale.distributed_table; invalidations are keyed on it. */
Oid metadata_invalidation_relid(void);

#endif /* SHALE_METADATA_CACHE_H */
