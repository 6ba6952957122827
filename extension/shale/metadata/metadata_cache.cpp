/*
 * metadata_cache.cpp — loads Shale's catalog into backend memory and drops it
 * on invalidation.
 *
 * The whole catalog is small (nodes, tables, shards), so it is loaded at once
 * with SPI into one memory context and thrown away as a whole. Every catalog
 * table has a statement trigger that calls shale_invalidate_metadata_cache(),
 * which sends a relcache invalidation for shale.distributed_table; every
 * backend's relcache callback then marks its copy stale.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
}

#include "shale/metadata/distribution_hash.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/utils/catalog_access.h"

static MemoryContext metadata_context = NULL;
/*
 * Earlier generations of the cache, replaced during this transaction. Callers
 * may still hold pointers into them (a planner that looked a table up before a
 * later lookup reloaded the catalog), so they are freed only when the
 * transaction ends.
 */
static List *retired_contexts = NIL;
static HTAB *table_hash = NULL;
static NodeEntry *nodes = NULL;
static int node_count = 0;
static GroupEntry *groups = NULL;
static int group_count = 0;
static bool metadata_valid = false;
/* true while the catalog queries of a load run: they plan no distributed table */
static bool metadata_loading = false;
/* bumped by every invalidation, so a load that raced with one is redone */
static uint64 invalidation_counter = 0;
/* oid of shale.distributed_table once the extension exists; invalidations key on it */
static Oid distributed_table_relid = InvalidOid;
/* whether distributed_table_relid was resolved since the last invalidation */
static bool extension_checked = false;

/*
 * invalidate_on_relcache_change marks the cache stale when our catalog changes
 * (or on a full reset). The catalog oid is re-resolved on next use, which
 * notices DROP EXTENSION and a later CREATE EXTENSION.
 */
static void
invalidate_on_relcache_change(Datum argument, Oid relid)
{
	(void) argument;
	if (relid == InvalidOid || relid == distributed_table_relid)
	{
		metadata_valid = false;
		invalidation_counter++;
		extension_checked = false;
	}
}

/* free_retired_generations drops the replaced cache generations once no statement can use them. */
static void
free_retired_generations(XactEvent event, void *argument)
{
	(void) argument;
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT && event != XACT_EVENT_PREPARE)
		return;
	ListCell *cell;
	foreach (cell, retired_contexts)
		MemoryContextDelete((MemoryContext) lfirst(cell));
	list_free(retired_contexts);
	retired_contexts = NIL;
}

void
metadata_cache_init(void)
{
	CacheRegisterRelcacheCallback(invalidate_on_relcache_change, (Datum) 0);
	RegisterXactCallback(free_retired_generations, NULL);
}

Oid
metadata_invalidation_relid(void)
{
	/* without the extension, look again each time: CREATE EXTENSION sends no invalidation */
	if (!extension_checked || !OidIsValid(distributed_table_relid))
	{
		Oid namespace_id = get_namespace_oid("shale", true);
		distributed_table_relid =
			OidIsValid(namespace_id) ? get_relname_relid("distributed_table", namespace_id) : InvalidOid;
		extension_checked = true;
	}
	return distributed_table_relid;
}

/*
 * shale_extension_present says whether the catalog exists in this database.
 * While CREATE EXTENSION runs its script the catalog is half-built: treat the
 * extension as absent then.
 */
bool
shale_extension_present(void)
{
	if (metadata_loading || creating_extension || !IsTransactionState())
		return false;
	return OidIsValid(metadata_invalidation_relid());
}

/*
 * run_catalog_query runs one catalog query through SPI; the caller reads
 * SPI_tuptable. It reads with the latest snapshot, not the active one: a load
 * can happen while planning a statement whose snapshot predates catalog
 * changes this transaction already made (and whose invalidations were
 * already processed), and the cache must not keep those stale rows.
 */
static void
run_catalog_query(const char *sql)
{
	SPIPlanPtr plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "shale: could not prepare catalog query: %s", sql);
	if (SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "shale: catalog query failed: %s", sql);
}

static Datum
column_value(HeapTuple tuple, int column, bool *is_null)
{
	return SPI_getbinval(tuple, SPI_tuptable->tupdesc, column, is_null);
}

/* Loads nodes and groups into the cache context. */
static void
load_nodes_and_groups(void)
{
	run_catalog_query("SELECT node_id, host, port, group_id, role = 'primary' FROM shale.node ORDER BY node_id");
	node_count = (int) SPI_processed;
	nodes = (NodeEntry *) MemoryContextAllocZero(metadata_context, sizeof(NodeEntry) * (node_count + 1));
	for (int i = 0; i < node_count; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		bool is_null;
		nodes[i].node_id = DatumGetInt32(column_value(tuple, 1, &is_null));
		nodes[i].host = MemoryContextStrdup(metadata_context, TextDatumGetCString(column_value(tuple, 2, &is_null)));
		nodes[i].port = DatumGetInt32(column_value(tuple, 3, &is_null));
		nodes[i].group_id = DatumGetInt32(column_value(tuple, 4, &is_null));
		nodes[i].is_primary = DatumGetBool(column_value(tuple, 5, &is_null));
	}

	run_catalog_query("SELECT group_id, state <> 'fenced', state = 'active' FROM shale.node_group ORDER BY group_id");
	group_count = (int) SPI_processed;
	groups = (GroupEntry *) MemoryContextAllocZero(metadata_context, sizeof(GroupEntry) * (group_count + 1));
	for (int i = 0; i < group_count; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		bool is_null;
		groups[i].group_id = DatumGetInt32(column_value(tuple, 1, &is_null));
		groups[i].writable = DatumGetBool(column_value(tuple, 2, &is_null));
		groups[i].accepts_shards = DatumGetBool(column_value(tuple, 3, &is_null));
		for (int n = 0; n < node_count; n++)
			if (nodes[n].group_id == groups[i].group_id && nodes[n].is_primary)
				groups[i].primary = &nodes[n];
	}
}

/* Loads distributed tables and their hash functions. */
static void
load_tables(void)
{
	HASHCTL hash_control;
	memset(&hash_control, 0, sizeof(hash_control));
	hash_control.keysize = sizeof(Oid);
	hash_control.entrysize = sizeof(DistributedTable);
	hash_control.hcxt = metadata_context;
	table_hash = hash_create("shale distributed tables", 64, &hash_control, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	run_catalog_query("SELECT d.table_id::oid, d.kind = 'reference', coalesce(d.distribution_attnum, 0), "
					  "d.colocation_id, coalesce(c.distribution_type::oid, 0), "
					  "coalesce(c.distribution_collation, 0) "
					  "FROM shale.distributed_table d JOIN shale.colocation_group c USING (colocation_id)");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		bool is_null;
		bool found;
		Oid table_id = DatumGetObjectId(column_value(tuple, 1, &is_null));
		DistributedTable *table = (DistributedTable *) hash_search(table_hash, &table_id, HASH_ENTER, &found);
		table->kind = DatumGetBool(column_value(tuple, 2, &is_null)) ? TABLE_KIND_REFERENCE : TABLE_KIND_DISTRIBUTED;
		table->distribution_attnum = DatumGetInt16(column_value(tuple, 3, &is_null));
		table->colocation_id = DatumGetInt32(column_value(tuple, 4, &is_null));
		table->distribution_type = DatumGetObjectId(column_value(tuple, 5, &is_null));
		table->distribution_collation = DatumGetObjectId(column_value(tuple, 6, &is_null));
		table->shard_count = 0;
		table->shards = NULL;
		table->ranges = NULL;
		if (table->kind == TABLE_KIND_DISTRIBUTED)
		{
			Oid hash_function = distribution_hash_function_for_type(table->distribution_type);
			if (!OidIsValid(hash_function))
				elog(ERROR, "shale: type %u of table %u lost its hash function", table->distribution_type, table_id);
			fmgr_info_cxt(hash_function, &table->hash_function, metadata_context);
		}
	}
}

/* Loads shards (sorted by hash_min per table) with their placements. */
static void
load_shards(void)
{
	run_catalog_query("SELECT s.table_id::oid, s.shard_id, s.hash_min, s.hash_max, "
					  "coalesce(array_agg(p.group_id ORDER BY p.group_id) "
					  "FILTER (WHERE p.group_id IS NOT NULL), '{}')::int4[] "
					  "FROM shale.shard s LEFT JOIN shale.placement p USING (shard_id) "
					  "GROUP BY 1, 2, 3, 4 ORDER BY 1, 3");
	uint64 row = 0;
	while (row < SPI_processed)
	{
		bool is_null;
		Oid table_id = DatumGetObjectId(column_value(SPI_tuptable->vals[row], 1, &is_null));
		uint64 first = row;
		while (row < SPI_processed &&
			   DatumGetObjectId(column_value(SPI_tuptable->vals[row], 1, &is_null)) == table_id)
			row++;
		DistributedTable *table = (DistributedTable *) hash_search(table_hash, &table_id, HASH_FIND, NULL);
		if (table == NULL)
			continue;
		int count = (int) (row - first);
		table->shard_count = count;
		table->shards = (ShardEntry *) MemoryContextAllocZero(metadata_context, sizeof(ShardEntry) * count);
		table->ranges = (ShaleHashRange *) MemoryContextAllocZero(metadata_context, sizeof(ShaleHashRange) * count);
		for (int i = 0; i < count; i++)
		{
			HeapTuple tuple = SPI_tuptable->vals[first + i];
			ShardEntry *shard = &table->shards[i];
			shard->shard_id = DatumGetInt64(column_value(tuple, 2, &is_null));
			shard->hash_min = DatumGetInt64(column_value(tuple, 3, &is_null));
			shard->hash_max = DatumGetInt64(column_value(tuple, 4, &is_null));
			table->ranges[i].min = shard->hash_min;
			table->ranges[i].max = shard->hash_max;
			ArrayType *group_array = DatumGetArrayTypeP(column_value(tuple, 5, &is_null));
			int group_total = ArrayGetNItems(ARR_NDIM(group_array), ARR_DIMS(group_array));
			shard->placement_count = group_total;
			shard->placement_group_ids = (int *) MemoryContextAlloc(metadata_context, sizeof(int) * (group_total + 1));
			memcpy(shard->placement_group_ids, ARR_DATA_PTR(group_array), sizeof(int) * group_total);
		}
	}
}

/*
 * ensure_metadata_loaded (re)loads the catalog when stale. A load that raced
 * with an invalidation is repeated, so the cache never keeps old rows.
 */
static void
ensure_metadata_loaded(void)
{
	while (!metadata_valid)
	{
		uint64 counter_at_start = invalidation_counter;
		if (metadata_context != NULL && table_hash != NULL && IsTransactionState())
		{
			/* a complete generation others may point into: keep it until the transaction ends */
			MemoryContext previous = MemoryContextSwitchTo(TopMemoryContext);
			retired_contexts = lappend(retired_contexts, metadata_context);
			MemoryContextSwitchTo(previous);
			metadata_context = NULL;
		}
		if (metadata_context == NULL)
			metadata_context = AllocSetContextCreate(CacheMemoryContext, "shale metadata", ALLOCSET_DEFAULT_SIZES);
		else
			MemoryContextReset(metadata_context);
		table_hash = NULL;
		nodes = NULL;
		groups = NULL;
		node_count = group_count = 0;

		CatalogAccess access = begin_catalog_access();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "shale: SPI_connect failed");
		metadata_loading = true;
		PG_TRY();
		{
			load_nodes_and_groups();
			load_tables();
			load_shards();
		}
		PG_FINALLY();
		{
			metadata_loading = false;
		}
		PG_END_TRY();
		SPI_finish();
		end_catalog_access(access);

		metadata_valid = (counter_at_start == invalidation_counter);
	}
}

DistributedTable *
distributed_table_lookup(Oid table_id)
{
	if (!shale_extension_present())
		return NULL;
	ensure_metadata_loaded();
	return (DistributedTable *) hash_search(table_hash, &table_id, HASH_FIND, NULL);
}

bool
any_distributed_table_exists(void)
{
	if (!shale_extension_present())
		return false;
	ensure_metadata_loaded();
	return hash_get_num_entries(table_hash) > 0;
}

List *
distributed_table_ids(void)
{
	List *table_ids = NIL;
	if (!shale_extension_present())
		return NIL;
	ensure_metadata_loaded();
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, table_hash);
	DistributedTable *table;
	while ((table = (DistributedTable *) hash_seq_search(&status)) != NULL)
		table_ids = lappend_oid(table_ids, table->table_id);
	return table_ids;
}

const GroupEntry *
group_lookup(int group_id)
{
	ensure_metadata_loaded();
	for (int i = 0; i < group_count; i++)
		if (groups[i].group_id == group_id)
			return &groups[i];
	return NULL;
}

List *
writable_worker_group_ids(void)
{
	List *group_ids = NIL;
	ensure_metadata_loaded();
	for (int i = 0; i < group_count; i++)
		if (groups[i].group_id > 0 && groups[i].writable && groups[i].primary != NULL)
			group_ids = lappend_int(group_ids, groups[i].group_id);
	return group_ids;
}

const NodeEntry *
all_nodes(int *count)
{
	ensure_metadata_loaded();
	*count = node_count;
	return nodes;
}

const ShardEntry *
shard_for_hash(const DistributedTable *table, int64 hash)
{
	int index = shale_find_range_index(table->ranges, table->shard_count, hash);
	return index < 0 ? NULL : &table->shards[index];
}

/*
 * shale_invalidate_metadata_cache is the statement trigger on every catalog
 * table: it makes every backend, this one included, drop its cached metadata.
 */
SHALE_FUNCTION(shale_invalidate_metadata_cache)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("shale.invalidate_metadata_cache() must be called as a trigger")));
	Oid relid = metadata_invalidation_relid();
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}

const char *
shard_entry_name(const DistributedTable *table, const ShardEntry *shard)
{
	if (shard->qualified_name == NULL)
		((ShardEntry *) shard)->qualified_name =
			MemoryContextStrdup(metadata_context, shard_qualified_name(table->table_id, shard->shard_id));
	return shard->qualified_name;
}

void
invalidate_metadata_everywhere(void)
{
	Oid relid = metadata_invalidation_relid();
	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
}

List *
table_group_ids(const DistributedTable *table)
{
	List *group_ids = NIL;
	for (int s = 0; s < table->shard_count; s++)
		for (int p = 0; p < table->shards[s].placement_count; p++)
			group_ids = list_append_unique_int(group_ids, table->shards[s].placement_group_ids[p]);
	return group_ids;
}
