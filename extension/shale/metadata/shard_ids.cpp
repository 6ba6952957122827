/*
 * shard_ids.cpp — hands out shard ids from shale.shard_id_seq, for
 * distribute_table and for the new shards of moves and splits.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/namespace.h"
#include "commands/sequence.h"
#include "utils/fmgrprotos.h"
}

#include "shale/metadata/shard_ids.h"

/* next_shard_id calls nextval on the catalog's sequence directly (no SPI needed). */
int64
next_shard_id(void)
{
	Oid sequence = get_relname_relid("shard_id_seq", get_namespace_oid("shale", false));
	return DatumGetInt64(DirectFunctionCall1(nextval_oid, ObjectIdGetDatum(sequence)));
}
