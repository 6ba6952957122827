/*
 * aggregate_pushdown.h — aggregation over one distributed table, split into
 * partial aggregation on the workers and the rest on the router.
 */
#ifndef SHALE_AGGREGATE_PUSHDOWN_H
#define SHALE_AGGREGATE_PUSHDOWN_H

/* A worker statement that a shale.remote_rows(n) placeholder stands for. */
typedef struct SplitFragment
{
	List *shard_template;
	Oid table_id;
	List *pruned_shard_ids; /* int64 *; NIL = every shard */
	List *column_types;
	List *column_typmods;
	List *column_collations;
} SplitFragment;

/*
 * The router query over partial aggregates, or NULL when the query cannot be
 * split (then its rows are pulled to the router and aggregated there).
 */
Query *split_aggregation(Query *query, ParamListInfo bound_parameters);

/* The fragment behind placeholder n, while the statement is being planned. */
const SplitFragment *split_fragment(int number);

/* Forgets the fragments once planning is over (their templates live on in the plan). */
void forget_split_fragments(void);

/* The oid of shale.remote_rows(int). */
Oid remote_rows_function(void);

#endif
