/*
 * distribution_hash.cpp — finds and calls the hash function that places values.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "utils/typcache.h"
}

#include "shale/metadata/distribution_hash.h"

/*
 * distribution_hash_function_for_type returns the extended hash support
 * function of the default hash operator class of type_id (domains use their
 * base type's), or InvalidOid when the type cannot be hashed.
 */
Oid
distribution_hash_function_for_type(Oid type_id)
{
	TypeCacheEntry *type_entry = lookup_type_cache(getBaseType(type_id), TYPECACHE_HASH_EXTENDED_PROC);
	return type_entry->hash_extended_proc;
}

/* distribution_hash_datum hashes value with seed 0. */
int64
distribution_hash_datum(FmgrInfo *hash_function, Oid collation, Datum value)
{
	return DatumGetInt64(FunctionCall2Coll(hash_function, collation, value, Int64GetDatum(0)));
}
