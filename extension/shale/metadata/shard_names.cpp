/*
 * shard_names.cpp — builds shard table and shard index names.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "mb/pg_wchar.h"
}

#include "shale/metadata/shard_names.h"

char *
shard_object_name(const char *object_name, int64 shard_id)
{
	char suffix[32];
	snprintf(suffix, sizeof(suffix), "_" INT64_FORMAT, shard_id);
	int room = NAMEDATALEN - 1 - (int) strlen(suffix);
	int length = (int) strlen(object_name);
	if (length > room)
		length = pg_mbcliplen(object_name, length, room); /* never cut a multibyte character */
	return psprintf("%.*s%s", length, object_name, suffix);
}

char *
shard_qualified_name_from(const char *schema_name, const char *table_name, int64 shard_id)
{
	return quote_qualified_identifier(schema_name, shard_object_name(table_name, shard_id));
}

char *
shard_qualified_name(Oid table_id, int64 shard_id)
{
	char *table_name = get_rel_name(table_id);
	char *schema_name = get_namespace_name(get_rel_namespace(table_id));
	if (table_name == NULL || schema_name == NULL)
		elog(ERROR, "shale: relation %u does not exist", table_id);
	return shard_qualified_name_from(schema_name, table_name, shard_id);
}
