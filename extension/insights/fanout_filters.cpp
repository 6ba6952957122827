/*
 * fanout_filters.cpp — finds, in a scan the planner sends to every shard, a
 * filter "column = value" on a column that is not the distribution column:
 * the evidence that distributing by that column (or indexing it) would help.
 */
#include "utils/postgres_headers.h"

extern "C" {
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "optimizer/optimizer.h"
#include "utils/fmgroids.h"
}

#include "insights/query_stats.h"
#include "metadata/metadata_cache.h"

/* Whether an operator is an equality (estimated as one: eqsel). */
static bool
is_equality_operator(Oid operator_id)
{
	return get_oprrest(operator_id) == F_EQSEL;
}

/* Strips relabelling (binary-compatible casts) from an expression. */
static Node *
without_relabel(Node *node)
{
	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/* The attno of a plain Var of relid, else InvalidAttrNumber. */
static AttrNumber
column_of(Node *node, Index relid)
{
	node = without_relabel(node);
	if (node != NULL && IsA(node, Var) && ((Var *) node)->varno == (int) relid && ((Var *) node)->varlevelsup == 0)
		return ((Var *) node)->varattno;
	return InvalidAttrNumber;
}

/* Whether an expression is a value known for the statement (a constant or a parameter). */
static bool
is_statement_value(Node *node)
{
	node = without_relabel(node);
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
		if (!IsA(clause, OpExpr) || list_length(((OpExpr *) clause)->args) != 2 ||
			!is_equality_operator(((OpExpr *) clause)->opno))
			continue;
		Node *left = (Node *) linitial(((OpExpr *) clause)->args), *right = (Node *) lsecond(((OpExpr *) clause)->args);
		AttrNumber column = column_of(left, relid);
		if (column == InvalidAttrNumber || !is_statement_value(right))
		{
			column = column_of(right, relid);
			if (column == InvalidAttrNumber || !is_statement_value(left))
				continue;
		}
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
