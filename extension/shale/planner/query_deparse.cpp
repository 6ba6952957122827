/*
 * query_deparse.cpp — query trees to shard SQL (see query_deparse.h).
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "utils/guc.h"
#include "utils/ruleutils.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/planner/query_deparse.h"

typedef struct ReferenceSearch
{
	const char *text;
	List *offsets;
	List *lengths;
	List *table_ids;
} ReferenceSearch;

/* find_table_references collects RangeVars that name distributed or reference tables. */
static bool
find_table_references(Node *node, ReferenceSearch *search)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
	{
		RangeVar *range_var = (RangeVar *) node;
		if (range_var->schemaname == NULL)
			return false; /* a CTE or a catalog table: ours are always printed qualified */
		Oid namespace_id = get_namespace_oid(range_var->schemaname, true);
		Oid table_id = OidIsValid(namespace_id) ? get_relname_relid(range_var->relname, namespace_id) : InvalidOid;
		if (!OidIsValid(table_id) || distributed_table_lookup(table_id) == NULL)
			return false;
		char *printed = psprintf("%s.%s", quote_identifier(range_var->schemaname), quote_identifier(range_var->relname));
		int length = (int) strlen(printed);
		if (range_var->location < 0 || strncmp(search->text + range_var->location, printed, length) != 0)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("shale could not locate table %s in a generated statement", printed),
							errhint("This is a bug in Shale: please report the statement.")));
		if (range_var->alias == NULL)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("shale: table %s has no alias in a generated statement", printed),
							errhint("This is a bug in Shale: please report the statement.")));
		search->offsets = lappend_int(search->offsets, range_var->location);
		search->lengths = lappend_int(search->lengths, length);
		search->table_ids = lappend_oid(search->table_ids, table_id);
		return false;
	}
	return raw_expression_tree_walker(node, SHALE_WALKER(find_table_references), search);
}

/*
 * give_every_relation_an_alias sets an alias on every relation RTE, so the
 * printer writes "schema.table alias" and column references keep working once
 * the table name becomes a shard name.
 */
static void
give_every_relation_an_alias(Query *query)
{
	ListCell *cell;
	foreach (cell, query->rtable)
	{
		RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);
		if (entry->rtekind == RTE_RELATION && entry->alias == NULL)
			entry->alias = makeAlias(entry->eref->aliasname, NIL);
	}
}

/* alias_nested_queries applies give_every_relation_an_alias to every nested query. */
static bool
alias_nested_queries(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		give_every_relation_an_alias((Query *) node);
		return query_tree_walker((Query *) node, SHALE_WALKER(alias_nested_queries), context, 0);
	}
	return expression_tree_walker(node, SHALE_WALKER(alias_nested_queries), context);
}

List *
shard_query_template(Query *query)
{
	Query *copy = (Query *) copyObject(query);
	give_every_relation_an_alias(copy);
	query_tree_walker(copy, SHALE_WALKER(alias_nested_queries), NULL, 0);

	int guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	char *text = pg_get_querydef(copy, false);
	AtEOXact_GUC(true, guc_level);

	ReferenceSearch search;
	memset(&search, 0, sizeof(search));
	search.text = text;
	List *parse_trees = raw_parser(text, RAW_PARSE_DEFAULT);
	ListCell *cell;
	foreach (cell, parse_trees)
		find_table_references(((RawStmt *) lfirst(cell))->stmt, &search);

	/* sort references by offset so they can be filled in one pass */
	int count = list_length(search.offsets);
	for (int i = 1; i < count; i++)
		for (int j = i; j > 0 && list_nth_int(search.offsets, j - 1) > list_nth_int(search.offsets, j); j--)
		{
			ListCell *a = list_nth_cell(search.offsets, j - 1), *b = list_nth_cell(search.offsets, j);
			int t = lfirst_int(a); lfirst_int(a) = lfirst_int(b); lfirst_int(b) = t;
			a = list_nth_cell(search.lengths, j - 1); b = list_nth_cell(search.lengths, j);
			t = lfirst_int(a); lfirst_int(a) = lfirst_int(b); lfirst_int(b) = t;
			a = list_nth_cell(search.table_ids, j - 1); b = list_nth_cell(search.table_ids, j);
			Oid o = lfirst_oid(a); lfirst_oid(a) = lfirst_oid(b); lfirst_oid(b) = o;
		}
	return list_make4(makeString(text), search.offsets, search.lengths, search.table_ids);
}

const char *
shard_query_text(List *template_list)
{
	return strVal(linitial(template_list));
}

List *
shard_query_tables(List *template_list)
{
	return (List *) lfourth(template_list);
}

char *
shard_query_for_hash(List *template_list, int64 hash)
{
	const char *text = strVal(linitial(template_list));
	List *offsets = (List *) lsecond(template_list);
	List *lengths = (List *) lthird(template_list);
	List *table_ids = (List *) lfourth(template_list);
	StringInfoData sql;
	initStringInfo(&sql);
	int position = 0;
	for (int i = 0; i < list_length(offsets); i++)
	{
		int offset = list_nth_int(offsets, i);
		Oid table_id = list_nth_oid(table_ids, i);
		const DistributedTable *table = distributed_table_lookup(table_id);
		if (table == NULL)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							errmsg("table %u is no longer distributed", table_id),
							errhint("Run the statement again.")));
		const ShardEntry *shard = table->kind == TABLE_KIND_REFERENCE ? &table->shards[0] : shard_for_hash(table, hash);
		appendBinaryStringInfo(&sql, text + position, offset - position);
		appendStringInfoString(&sql, shard_entry_name(table, shard));
		position = offset + list_nth_int(lengths, i);
	}
	appendStringInfoString(&sql, text + position);
	return sql.data;
}

char *
shard_query_for_shard_set(List *template_list, List *shard_ids)
{
	const char *text = strVal(linitial(template_list));
	List *offsets = (List *) lsecond(template_list);
	List *lengths = (List *) lthird(template_list);
	List *table_ids = (List *) lfourth(template_list);
	if (list_length(offsets) != 1 || shard_ids == NIL)
		return NULL;
	Oid table_id = linitial_oid(table_ids);
	StringInfoData shards;
	initStringInfo(&shards);
	if (list_length(shard_ids) == 1)
		appendStringInfoString(&shards, shard_qualified_name(table_id, *(int64 *) linitial(shard_ids)));
	else
	{
		appendStringInfoChar(&shards, '(');
		ListCell *cell;
		foreach (cell, shard_ids)
			appendStringInfo(&shards, "%sSELECT * FROM %s", cell == list_head(shard_ids) ? "" : " UNION ALL ",
							 shard_qualified_name(table_id, *(int64 *) lfirst(cell)));
		appendStringInfoChar(&shards, ')');
	}
	int offset = linitial_int(offsets);
	return psprintf("%.*s%s%s", offset, text, shards.data, text + offset + linitial_int(lengths));
}
