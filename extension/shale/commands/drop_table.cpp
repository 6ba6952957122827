/*
 * drop_table.cpp — drops the shards of a table that DROP TABLE removed on the
 * router. Called by the sql_drop event trigger (shale.on_sql_drop), inside the
 * DROP's transaction, so the shards go if and only if the table goes.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "executor/spi.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/utils/catalog_access.h"
#include "shale/metadata/shard_names.h"
#include "shale/transaction/remote_transaction.h"

SHALE_FUNCTION(shale_drop_shards_of_dropped_table)
{
	Oid table_id = PG_GETARG_OID(0);
	char *schema_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char *table_name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	const DistributedTable *table = distributed_table_lookup(table_id);
	if (table == NULL)
		PG_RETURN_VOID();

	/* one DROP per group, groups in parallel */
	List *group_ids = table_group_ids(table);
	ListCell *cell;
	foreach (cell, group_ids)
	{
		int group_id = lfirst_int(cell);
		StringInfoData sql;
		initStringInfo(&sql);
		for (int s = 0; s < table->shard_count; s++)
			for (int p = 0; p < table->shards[s].placement_count; p++)
				if (table->shards[s].placement_group_ids[p] == group_id)
					appendStringInfo(&sql, "DROP TABLE IF EXISTS %s CASCADE; ",
									 shard_qualified_name_from(schema_name, table_name, table->shards[s].shard_id));
		worker_connection_send(remote_transaction_connection(group_id, true), sql.data);
	}
	foreach (cell, group_ids)
	{
		PGresult *result = worker_connection_receive(remote_transaction_connection(lfirst_int(cell), true));
		if (result != NULL)
			PQclear(result);
	}

	CatalogAccess access = begin_catalog_access();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	if (SPI_execute(psprintf("DELETE FROM shale.distributed_table WHERE table_id = %u", table_id), false, 0) != SPI_OK_DELETE ||
		SPI_execute("DELETE FROM shale.colocation_group c WHERE NOT EXISTS "
					"(SELECT 1 FROM shale.distributed_table d WHERE d.colocation_id = c.colocation_id)",
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "shale: could not remove catalog rows of dropped table %u", table_id);
	SPI_finish();
	end_catalog_access(access);
	PG_RETURN_VOID();
}
