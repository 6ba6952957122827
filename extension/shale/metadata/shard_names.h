/*
 * shard_names.h — names of shard tables and of their indexes on worker nodes.
 *
 * A shard of schema.table with id N is schema.table_N on its worker group, in
 * the same schema. Names are cut so that the suffix always survives
 * PostgreSQL's 63-byte identifier limit.
 */
#ifndef SHALE_SHARD_NAMES_H
#define SHALE_SHARD_NAMES_H

/* object_name with "_<shard_id>" appended, shortened to fit NAMEDATALEN. */
char *shard_object_name(const char *object_name, int64 shard_id);

/* Quoted "schema"."table_<shard_id>" for a shard of the given table. */
char *shard_qualified_name(Oid table_id, int64 shard_id);

/* Same, from names (for tables that no longer exist locally). */
char *shard_qualified_name_from(const char *schema_name, const char *table_name, int64 shard_id);

#endif
