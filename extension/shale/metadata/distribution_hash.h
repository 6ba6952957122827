/*
 * distribution_hash.h — the hash that places a value in a shard.
 *
 * DESIGN.md: the extended hash function (HASHEXTENDED support function) of the
 * distribution column type's default hash operator class, with seed 0, as int64.
 */
#ifndef SHALE_DISTRIBUTION_HASH_H
#define SHALE_DISTRIBUTION_HASH_H

/* The extended hash function of the type's default hash opclass, or InvalidOid. */
Oid distribution_hash_function_for_type(Oid type_id);

/* Hashes one non-null value with a looked-up hash function and the column's collation. */
int64 distribution_hash_datum(FmgrInfo *hash_function, Oid collation, Datum value);

#endif
