/*
 * query_deparse.h — turns a query tree into SQL a worker runs on its shards.
 *
 * The text comes from PostgreSQL's own query printer (pg_get_querydef), run
 * with search_path = pg_catalog so every name is schema-qualified. That text is
 * parsed again (raw_parser) to find where each distributed or reference table
 * is referenced; those spans become holes that are filled with shard names when
 * the statement is sent. No SQL text is ever searched with patterns.
 */
#ifndef SHALE_QUERY_DEPARSE_H
#define SHALE_QUERY_DEPARSE_H

/*
 * A statement template as a copyable List (it lives in plans):
 *   [text (String), offsets (IntList), lengths (IntList), table ids (OidList)]
 * Each reference is replaced by "schema.table_<shard>" AS "table".
 */
List *shard_query_template(Query *query);

/*
 * The template's SQL for the shards holding the given hash value: each
 * distributed table takes its shard for that hash, each reference table its
 * only shard.
 */
char *shard_query_for_hash(List *template_list, int64 hash);

/*
 * For a template that references exactly one table: its SQL over several
 * shards at once, the table reference becoming
 * (SELECT * FROM shard_a UNION ALL SELECT * FROM shard_b …). NULL when the
 * template references more than one table.
 */
char *shard_query_for_shard_set(List *template_list, List *shard_ids);

/* The tables the template references (an OidList). */
List *shard_query_tables(List *template_list);

/* The template text with table names, for EXPLAIN. */
const char *shard_query_text(List *template_list);

#endif
