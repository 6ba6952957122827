/*
 * shard_ddl.cpp — generates the DDL that creates a shard table on a worker:
 * the same columns (types, collations, NOT NULL, defaults, generated columns),
 * constraints (CHECK, PRIMARY KEY, UNIQUE, EXCLUDE) and indexes as the table
 * on the router.
 *
 * The pieces come from PostgreSQL's catalog printers (format_type, pg_get_expr,
 * pg_get_constraintdef, per-column pg_get_indexdef), run with search_path set
 * to pg_catalog so every name they print is schema-qualified and means the same
 * thing on the worker. Defaults that call a sequence are left out: the router
 * evaluates them once, so serial values stay unique across shards.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/genam.h"
#include "catalog/index.h"
#include "catalog/pg_constraint.h"
#include "executor/spi.h"
#include "utils/guc.h"
}

#include "shale/commands/shard_ddl.h"
#include "shale/metadata/shard_names.h"

static const char *column_definitions_sql =
	"SELECT format('%I %s%s%s%s', a.attname, format_type(a.atttypid, a.atttypmod), "
	"  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN "
	"    (SELECT format(' COLLATE %I.%I', n.nspname, c.collname) FROM pg_collation c "
	"     JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = a.attcollation) ELSE '' END, "
	"  CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, "
	"  CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED' "
	"       WHEN d.oid IS NOT NULL AND a.attidentity = '' AND NOT EXISTS ("
	"         SELECT 1 FROM pg_depend dep JOIN pg_class sc ON sc.oid = dep.refobjid "
	"         WHERE dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid "
	"           AND dep.refclassid = 'pg_class'::regclass AND sc.relkind = 'S') "
	"       THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END) "
	"FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
	"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

/* Index-backed constraints get per-shard names (index names are per schema). */
static const char *constraints_sql =
	"SELECT conname, contype IN ('p', 'u', 'x'), pg_get_constraintdef(oid) FROM pg_constraint "
	"WHERE conrelid = $1 AND contype IN ('c', 'p', 'u', 'x') ORDER BY contype, conname";

/* An index's name, whether it is unique, and its definition after "ON table". */
#define INDEX_DEFINITION_SELECT                                                                              \
	"SELECT ic.relname, i.indisunique, format('USING %I (%s)%s%s%s', am.amname, "                             \
	"  (SELECT string_agg("                                                                                 \
	"     CASE WHEN i.indkey[k - 1] = 0 THEN '(' || pg_get_indexdef(i.indexrelid, k, false) || ')' "           \
	"          ELSE pg_get_indexdef(i.indexrelid, k, false) END "                                            \
	"     || CASE WHEN i.indcollation[k - 1] <> 0 THEN (SELECT format(' COLLATE %I.%I', n.nspname, c.collname) " \
	"          FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace "                           \
	"          WHERE c.oid = i.indcollation[k - 1]) ELSE '' END "                                             \
	"     || (SELECT format(' %I.%I', n.nspname, oc.opcname) FROM pg_opclass oc "                             \
	"          JOIN pg_namespace n ON n.oid = oc.opcnamespace WHERE oc.oid = i.indclass[k - 1]) "             \
	"     || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END "                                  \
	"     || CASE WHEN i.indoption[k - 1] & 2 = 2 THEN ' NULLS FIRST' "                                       \
	"             WHEN i.indoption[k - 1] & 1 = 1 THEN ' NULLS LAST' ELSE '' END, ', ' ORDER BY k) "          \
	"   FROM generate_series(1, i.indnkeyatts) k), "                                                          \
	"  CASE WHEN i.indnatts > i.indnkeyatts THEN (SELECT ' INCLUDE (' || string_agg("                        \
	"     pg_get_indexdef(i.indexrelid, k, false), ', ' ORDER BY k) || ')' "                                   \
	"     FROM generate_series(i.indnkeyatts + 1, i.indnatts) k) ELSE '' END, "                              \
	"  CASE WHEN i.indnullsnotdistinct THEN ' NULLS NOT DISTINCT' ELSE '' END, "                             \
	"  CASE WHEN i.indpred IS NOT NULL THEN ' WHERE ' || pg_get_expr(i.indpred, i.indrelid) ELSE '' END) "   \
	"FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "

/* Indexes of a table that no constraint owns. */
static const char *indexes_sql =
	INDEX_DEFINITION_SELECT
	"WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
	"  AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY ic.relname";

/* One index, by its oid. */
static const char *index_sql = INDEX_DEFINITION_SELECT "WHERE i.indexrelid = $1";

/* Runs a catalog query with the table's oid as $1. */
static void
run_query_for_table(const char *sql, Oid table_id)
{
	Oid argument_types[1] = {OIDOID};
	Datum arguments[1] = {ObjectIdGetDatum(table_id)};
	/* read_only = false: a fresh snapshot, which sees an index this command just made */
	if (SPI_execute_with_args(sql, 1, argument_types, arguments, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "shale: catalog query for shard DDL failed");
}

static char *
text_column(uint64 row, int column)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column);
}

List *
shard_create_commands(Oid table_id, int64 shard_id)
{
	char *shard_name = shard_qualified_name(table_id, shard_id);
	bool unlogged = get_rel_persistence(table_id) == RELPERSISTENCE_UNLOGGED;
	MemoryContext caller_context = CurrentMemoryContext;

	/* print every name schema-qualified */
	int guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");

	StringInfoData create_table;
	initStringInfo(&create_table);
	/* StringInfo data lives in the SPI context; copy out at the end */
	appendStringInfo(&create_table, "CREATE %sTABLE %s (", unlogged ? "UNLOGGED " : "", shard_name);
	run_query_for_table(column_definitions_sql, table_id);
	for (uint64 row = 0; row < SPI_processed; row++)
		appendStringInfo(&create_table, "%s%s", row > 0 ? ", " : "", text_column(row, 1));
	bool any_column = SPI_processed > 0;

	run_query_for_table(constraints_sql, table_id);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		char *name = text_column(row, 1);
		bool has_index = strcmp(text_column(row, 2), "t") == 0;
		if (has_index)
			name = shard_object_name(name, shard_id);
		appendStringInfo(&create_table, "%sCONSTRAINT %s %s", (row > 0 || any_column) ? ", " : "",
						 quote_identifier(name), text_column(row, 3));
	}
	appendStringInfoChar(&create_table, ')');

	List *index_commands_in_spi = NIL;
	run_query_for_table(indexes_sql, table_id);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		char *index_name = shard_object_name(text_column(row, 1), shard_id);
		bool unique = strcmp(text_column(row, 2), "t") == 0;
		index_commands_in_spi = lappend(index_commands_in_spi,
										psprintf("CREATE %sINDEX %s ON %s %s", unique ? "UNIQUE " : "",
												 quote_identifier(index_name), shard_name, text_column(row, 3)));
	}

	MemoryContext spi_context = MemoryContextSwitchTo(caller_context);
	List *commands = list_make1(pstrdup(create_table.data));
	ListCell *cell;
	foreach (cell, index_commands_in_spi)
		commands = lappend(commands, pstrdup((char *) lfirst(cell)));
	MemoryContextSwitchTo(spi_context);

	SPI_finish();
	AtEOXact_GUC(true, guc_level);
	return commands;
}

/*
 * shard_index_command returns the CREATE INDEX that builds one index of a
 * table on one of its shards, under the shard's index name.
 */
char *
shard_index_command(Oid index_id, int64 shard_id)
{
	return shard_index_command_with(index_id, shard_id, false);
}

char *
shard_index_command_with(Oid index_id, int64 shard_id, bool concurrently)
{
	Oid table_id = IndexGetRelation(index_id, false);
	char *shard_name = shard_qualified_name(table_id, shard_id);
	MemoryContext caller_context = CurrentMemoryContext;
	int guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	run_query_for_table(index_sql, index_id);
	if (SPI_processed != 1)
		elog(ERROR, "shale: index %u not found", index_id);
	char *index_name = shard_object_name(text_column(0, 1), shard_id);
	bool unique = strcmp(text_column(0, 2), "t") == 0;
	char *body = text_column(0, 3);
	MemoryContext spi_context = MemoryContextSwitchTo(caller_context);
	char *command = psprintf("CREATE %sINDEX %s%s ON %s %s", unique ? "UNIQUE " : "", concurrently ? "CONCURRENTLY " : "",
							 quote_identifier(index_name), shard_name, body);
	MemoryContextSwitchTo(spi_context);
	SPI_finish();
	AtEOXact_GUC(true, guc_level);
	return command;
}
