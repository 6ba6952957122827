/*
 * fanout_filters.cpp — finds, in a scan the planner sends to every shard, a
 * filter "column = value" on a column that is not the distribution column:
 * the evidence that distributing by that column (or indexing it) would help.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "optimizer/optimizer.h"
#include "utils/fmgroids.h"
}

#include "shale/insights/query_stats.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/planner/shard_pinning.h"

/* Whether an operator is an equality (estimated as one: eqsel). */
static bool
is_equality_operator(Oid operator_id)
{
	return get_oprrest(operator_id) == F_EQSEL;
}

/* Whether an expression is a value known for the statement (a constant or a parameter). */
static bool
is_statement_value(Node *node)
{
	return node != NULL && (IsA(node, Const) || IsA(node, Param));
}

void
query_stats_note_fanout_filter(Oid table_id, Index relid, AttrNumber distribution_attnum, List *clauses)
{
	if (!current_statement_notes.active || OidIsValid(current_statement_notes.filter_table))
		return;
	ListCell *cell;
	foreach (cell, clauses)
	{
		Node *clause = (Node *) lfirst(cell);
		if (IsA(clause, RestrictInfo))
			clause = (Node *) ((RestrictInfo *) clause)->clause;
		Node *left, *right;
		OpExpr *operation = binary_operation(clause, &left, &right);
		if (operation == NULL || !is_equality_operator(operation->opno) || !IsA(left, Var) ||
			((Var *) left)->varno != (int) relid || ((Var *) left)->varlevelsup != 0 || !is_statement_value(right))
			continue;
		AttrNumber column = ((Var *) left)->varattno;
		if (column <= 0 || column == distribution_attnum)
			continue;
		current_statement_notes.filter_table = table_id;
		current_statement_notes.filter_column = column;
		return;
	}
}

void
query_stats_note_query_filters(Query *query)
{
	if (!current_statement_notes.active || query->jointree == NULL || query->jointree->quals == NULL)
		return;
	List *clauses = make_ands_implicit((Expr *) query->jointree->quals);
	int index = 0;
	ListCell *cell;
	foreach (cell, query->rtable)
	{
		index++;
		RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);
		if (entry->rtekind != RTE_RELATION)
			continue;
		const DistributedTable *table = distributed_table_lookup(entry->relid);
		if (table != NULL && table->kind == TABLE_KIND_DISTRIBUTED)
			query_stats_note_fanout_filter(entry->relid, index, table->distribution_attnum, clauses);
	}
}
