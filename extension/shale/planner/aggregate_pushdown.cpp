/*
 * aggregate_pushdown.cpp — splits aggregation over one distributed table
 * between the workers and the router.
 *
 *   SELECT g, count(*), avg(x) FROM t WHERE f GROUP BY g HAVING h ORDER BY …
 * becomes, on every worker group (one statement over all its shards),
 *   SELECT g, shale.partial_aggregate(<count>), shale.partial_aggregate(<avg>, x)
 *   FROM t WHERE f GROUP BY g
 * and, on the router, the original query over those rows:
 *   SELECT g, shale.finalize_aggregate(<count>, p1, NULL::bigint), …
 *   FROM shale.remote_rows(n) GROUP BY g HAVING h ORDER BY …
 * where shale.remote_rows(n) is a placeholder the scan path replaces with a
 * remote scan of the worker statement. Only the scan and the first step of
 * aggregation move; everything after (HAVING, ORDER BY, LIMIT, DISTINCT,
 * window functions) is PostgreSQL's own work on the router.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/pg_aggregate.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/syscache.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/planner/aggregate_pushdown.h"
#include "shale/planner/query_deparse.h"
#include "shale/planner/shard_pinning.h"

/* Worker statements of the query being planned, by placeholder number. */
static List *planned_fragments = NIL;

static Oid
shale_function(const char *name, int argument_count, Oid *argument_types)
{
	return LookupFuncName(list_make2(makeString(pstrdup("shale")), makeString(pstrdup(name))), argument_count,
						  argument_types, false);
}

Oid
remote_rows_function(void)
{
	Oid argument_types[1] = {INT4OID};
	return shale_function("remote_rows", 1, argument_types);
}

/* Whether PostgreSQL can split this aggregate call (see partial_aggregates.cpp). */
static bool
aggregate_can_be_split(Aggref *aggref)
{
	if (aggref->aggfnoid >= FirstNormalObjectId || aggref->aggorder != NIL || aggref->aggdistinct != NIL ||
		aggref->aggkind != AGGKIND_NORMAL || aggref->agglevelsup != 0 || list_length(aggref->args) > 1 ||
		aggref->aggvariadic)
		return false;
	HeapTuple tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	if (!HeapTupleIsValid(tuple))
		return false;
	Form_pg_aggregate aggregate = (Form_pg_aggregate) GETSTRUCT(tuple);
	bool splittable = OidIsValid(aggregate->aggcombinefn) && !aggregate->aggfinalextra &&
					  !IsPolymorphicType(aggregate->aggtranstype) &&
					  (aggregate->aggtranstype != INTERNALOID ||
					   (OidIsValid(aggregate->aggserialfn) && OidIsValid(aggregate->aggdeserialfn)));
	ReleaseSysCache(tuple);
	return splittable && expression_is_pushable((Node *) aggref->args) &&
		   expression_is_pushable((Node *) aggref->aggfilter) && !contain_volatile_functions((Node *) aggref);
}

typedef struct SplitContext
{
	List *grouping_exprs;	/* worker columns 1..G */
	List *partial_aggrefs;	/* worker columns G+1..: transition states as bytea */
	List *final_aggrefs;	/* the original Aggrefs, in the same order */
	bool failed;
	Index relation_index;
} SplitContext;

static Const *
oid_constant(Oid value)
{
	return makeConst(OIDOID, -1, InvalidOid, sizeof(Oid), ObjectIdGetDatum(value), false, true);
}

/* The worker-side call shale.partial_aggregate(oid [, value]) for an aggregate call. */
static Aggref *
partial_aggref(Aggref *original)
{
	Aggref *partial = makeNode(Aggref);
	int argument_count = list_length(original->args);
	Oid argument_types[2] = {OIDOID, ANYELEMENTOID};
	partial->aggfnoid = shale_function("partial_aggregate", 1 + argument_count, argument_types);
	partial->aggtype = BYTEAOID;
	partial->aggcollid = InvalidOid;
	partial->inputcollid = original->inputcollid;
	partial->aggargtypes = list_make1_oid(OIDOID);
	partial->args = list_make1(makeTargetEntry((Expr *) oid_constant(original->aggfnoid), 1, NULL, false));
	if (argument_count == 1)
	{
		TargetEntry *value = (TargetEntry *) copyObject(linitial(original->args));
		value->resno = 2;
		partial->args = lappend(partial->args, value);
		partial->aggargtypes = lappend_oid(partial->aggargtypes, exprType((Node *) value->expr));
	}
	partial->aggfilter = (Expr *) copyObject(original->aggfilter);
	partial->aggkind = AGGKIND_NORMAL;
	partial->aggsplit = AGGSPLIT_SIMPLE;
	partial->aggno = partial->aggtransno = -1;
	partial->location = -1;
	return partial;
}

/*
 * A worker-side expression giving an aggregate's transition state as bytea.
 * Aggregates whose result is their state (count, min, max, sum of integers…)
 * run natively and send their result; the others go through
 * shale.partial_aggregate, which runs the transition function itself.
 */
static Expr *
partial_state_expr(Aggref *original)
{
	HeapTuple tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(original->aggfnoid));
	Form_pg_aggregate aggregate = (Form_pg_aggregate) GETSTRUCT(tuple);
	bool result_is_state = !OidIsValid(aggregate->aggfinalfn) && aggregate->aggtranstype == original->aggtype &&
						   aggregate->aggtranstype != INTERNALOID;
	Oid state_type = aggregate->aggtranstype;
	ReleaseSysCache(tuple);
	if (result_is_state)
	{
		Oid send_function;
		bool is_varlena;
		getTypeBinaryOutputInfo(state_type, &send_function, &is_varlena);
		if (send_function < FirstNormalObjectId)
			return (Expr *) makeFuncExpr(send_function, BYTEAOID, list_make1(copyObject(original)), InvalidOid,
										 InvalidOid, COERCE_EXPLICIT_CALL);
	}
	return (Expr *) partial_aggref(original);
}

/* The router-side call shale.finalize_aggregate(oid, partial column, NULL::result). */
static Aggref *
finalize_aggref(Aggref *original, Var *partial_column)
{
	Aggref *finalize = makeNode(Aggref);
	Oid argument_types[3] = {OIDOID, BYTEAOID, ANYELEMENTOID};
	finalize->aggfnoid = shale_function("finalize_aggregate", 3, argument_types);
	finalize->aggtype = original->aggtype;
	finalize->aggcollid = original->aggcollid;
	finalize->inputcollid = original->inputcollid;
	finalize->aggargtypes = list_make3_oid(OIDOID, BYTEAOID, original->aggtype);
	Const *witness = makeNullConst(original->aggtype, -1, original->aggcollid);
	finalize->args = list_make3(makeTargetEntry((Expr *) oid_constant(original->aggfnoid), 1, NULL, false),
								makeTargetEntry((Expr *) partial_column, 2, NULL, false),
								makeTargetEntry((Expr *) witness, 3, NULL, false));
	finalize->aggkind = AGGKIND_NORMAL;
	finalize->aggsplit = AGGSPLIT_SIMPLE;
	finalize->aggno = finalize->aggtransno = -1;
	finalize->location = original->location;
	return finalize;
}

/*
 * replace_for_router rewrites a router-side expression: grouping expressions
 * become worker columns, aggregate calls become finalize calls over worker
 * columns; any other column of the table means the split is not possible.
 */
static Node *
replace_for_router(Node *node, SplitContext *context)
{
	if (node == NULL || context->failed)
		return node;
	int column = 0;
	ListCell *cell;
	foreach (cell, context->grouping_exprs)
	{
		column++;
		if (equal(node, lfirst(cell)))
		{
			Node *expr = (Node *) lfirst(cell);
			return (Node *) makeVar(1, column, exprType(expr), exprTypmod(expr), exprCollation(expr), 0);
		}
	}
	if (IsA(node, Aggref))
	{
		Aggref *aggref = (Aggref *) node;
		if (!aggregate_can_be_split(aggref))
		{
			context->failed = true;
			return node;
		}
		context->final_aggrefs = lappend(context->final_aggrefs, aggref);
		context->partial_aggrefs = lappend(context->partial_aggrefs, partial_state_expr(aggref));
		int partial_column = list_length(context->grouping_exprs) + list_length(context->partial_aggrefs);
		return (Node *) finalize_aggref(aggref, makeVar(1, partial_column, BYTEAOID, -1, InvalidOid, 0));
	}
	if (IsA(node, Var) || IsA(node, GroupingFunc) || IsA(node, SubLink) || IsA(node, PlaceHolderVar))
	{
		context->failed = true; /* a column outside grouping expressions and aggregates */
		return node;
	}
	return expression_tree_mutator(node, SHALE_MUTATOR(replace_for_router), context);
}

/*
 * One input of the aggregation: a distributed table read with a filter. A
 * query over one table has one member; a query over a UNION ALL subquery or
 * view has one per branch, each branch's columns given by its target list.
 */
typedef struct SplitMember
{
	RangeTblEntry *table_entry; /* the distributed table */
	Node *quals;				/* the branch's own filter (NULL for the single-table case) */
	List *targets;				/* the branch's output expressions; NIL = the table itself */
} SplitMember;

/* Whether an expression can be computed on the workers as part of a partial aggregation. */
static bool
pushable_and_stable(Node *node)
{
	return expression_is_pushable(node) && !contain_volatile_functions(node);
}

/* The distributed (not reference) table a one-table query reads, or NULL. */
static RangeTblEntry *
single_distributed_table(Query *query)
{
	if (list_length(query->rtable) != 1 || list_length(query->jointree->fromlist) != 1 ||
		!IsA(linitial(query->jointree->fromlist), RangeTblRef))
		return NULL;
	RangeTblEntry *entry = (RangeTblEntry *) linitial(query->rtable);
	if (entry->rtekind != RTE_RELATION || entry->tablesample != NULL)
		return NULL;
	const DistributedTable *table = distributed_table_lookup(entry->relid);
	if (table == NULL || table->kind != TABLE_KIND_DISTRIBUTED)
		return NULL;
	return entry;
}

/*
 * union_column converts a branch's output expression to the union's column
 * type, typmod and collation, as PostgreSQL does above the branch when it
 * plans the union itself (the parser leaves branches in their own types).
 */
static Node *
union_column(Node *expr, Oid type, int32 typmod, Oid collation)
{
	if (exprType(expr) != type)
		expr = coerce_to_common_type(NULL, expr, type, "UNION");
	if (exprTypmod(expr) != typmod || exprCollation(expr) != collation)
		expr = applyRelabelType(expr, type, typmod, collation, COERCE_IMPLICIT_CAST, -1, false);
	return expr;
}

/*
 * union_member_from_leaf reads one branch of a UNION ALL: a plain
 * "SELECT expressions FROM distributed_table WHERE filter", its outputs
 * converted to the union's column types.
 */
static bool
union_member_from_leaf(Query *leaf, SetOperationStmt *top, SplitMember *member)
{
	if (leaf->commandType != CMD_SELECT || leaf->hasAggs || leaf->groupClause != NIL || leaf->havingQual != NULL ||
		leaf->hasWindowFuncs || leaf->distinctClause != NIL || leaf->sortClause != NIL || leaf->limitCount != NULL ||
		leaf->limitOffset != NULL || leaf->setOperations != NULL || leaf->hasTargetSRFs || leaf->hasSubLinks ||
		leaf->rowMarks != NIL || leaf->cteList != NIL || leaf->groupingSets != NIL)
		return false;
	RangeTblEntry *entry = single_distributed_table(leaf);
	if (entry == NULL || !pushable_and_stable(leaf->jointree->quals))
		return false;
	List *targets = NIL;
	ListCell *cell;
	foreach (cell, leaf->targetList)
	{
		TargetEntry *target = (TargetEntry *) lfirst(cell);
		if (target->resjunk)
			continue;
		int column = list_length(targets);
		if (column >= list_length(top->colTypes) || !pushable_and_stable((Node *) target->expr))
			return false;
		Node *expr = union_column((Node *) copyObject(target->expr), list_nth_oid(top->colTypes, column),
								  list_nth_int(top->colTypmods, column), list_nth_oid(top->colCollations, column));
		if (expr == NULL || !pushable_and_stable(expr))
			return false;
		targets = lappend(targets, expr);
	}
	if (list_length(targets) != list_length(top->colTypes))
		return false;
	member->table_entry = entry;
	member->quals = leaf->jointree->quals;
	member->targets = targets;
	return true;
}

/* Collects the branches of a tree of UNION ALLs; false for any other set operation or branch. */
static bool
collect_union_members(Query *union_query, Node *node, SetOperationStmt *top, List **members)
{
	if (IsA(node, RangeTblRef))
	{
		RangeTblEntry *entry = rt_fetch(((RangeTblRef *) node)->rtindex, union_query->rtable);
		if (entry->rtekind != RTE_SUBQUERY)
			return false;
		SplitMember *member = (SplitMember *) palloc0(sizeof(SplitMember));
		if (!union_member_from_leaf(entry->subquery, top, member))
			return false;
		*members = lappend(*members, member);
		return true;
	}
	if (!IsA(node, SetOperationStmt))
		return false;
	SetOperationStmt *operation = (SetOperationStmt *) node;
	return operation->op == SETOP_UNION && operation->all &&
		   collect_union_members(union_query, operation->larg, top, members) &&
		   collect_union_members(union_query, operation->rarg, top, members);
}

/*
 * splittable_members returns the inputs of an aggregation this rewrite
 * handles: one distributed table, or a UNION ALL subquery (or view) whose
 * every branch reads one distributed table. NIL for any other query.
 */
static List *
splittable_members(Query *query)
{
	if (query->commandType != CMD_SELECT || (!query->hasAggs && query->groupClause == NIL) ||
		query->groupingSets != NIL || query->hasSubLinks || query->hasTargetSRFs || query->rowMarks != NIL ||
		query->cteList != NIL || query->setOperations != NULL || query->hasDistinctOn ||
		list_length(query->rtable) != 1 || list_length(query->jointree->fromlist) != 1 ||
		!IsA(linitial(query->jointree->fromlist), RangeTblRef))
		return NIL;
	if (!pushable_and_stable(query->jointree->quals))
		return NIL;
	ListCell *cell;
	foreach (cell, query->groupClause)
		if (!pushable_and_stable((Node *) get_sortgroupclause_expr((SortGroupClause *) lfirst(cell), query->targetList)))
			return NIL;

	RangeTblEntry *entry = single_distributed_table(query);
	if (entry != NULL)
	{
		SplitMember *member = (SplitMember *) palloc0(sizeof(SplitMember));
		member->table_entry = entry;
		return list_make1(member);
	}
	/* a UNION ALL subquery or view in FROM, with nothing on top of the union itself */
	RangeTblEntry *subquery_entry = (RangeTblEntry *) linitial(query->rtable);
	if (subquery_entry->rtekind != RTE_SUBQUERY || subquery_entry->lateral)
		return NIL;
	Query *union_query = subquery_entry->subquery;
	if (union_query->setOperations == NULL || union_query->sortClause != NIL || union_query->limitCount != NULL ||
		union_query->limitOffset != NULL || union_query->rowMarks != NIL || union_query->cteList != NIL)
		return NIL;
	SetOperationStmt *top = (SetOperationStmt *) union_query->setOperations;
	List *members = NIL;
	if (!collect_union_members(union_query, (Node *) top, top, &members))
		return NIL;
	return members;
}

/* Puts a union branch's output expressions in place of the outer query's columns (varno 1). */
static Node *
substitute_member_columns(Node *node, List *targets)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varno == 1 && ((Var *) node)->varlevelsup == 0)
	{
		Var *var = (Var *) node;
		if (var->varattno <= 0 || var->varattno > list_length(targets))
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("shale: column %d of a UNION ALL branch is out of range", var->varattno),
							errhint("This is a bug in Shale: please report the statement.")));
		return (Node *) copyObject(list_nth(targets, var->varattno - 1));
	}
	return expression_tree_mutator(node, SHALE_MUTATOR(substitute_member_columns), targets);
}

/* Whether an outer-query expression refers to the union's whole row (not split here). */
static bool
uses_whole_row(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varattno <= 0;
	return expression_tree_walker(node, SHALE_WALKER(uses_whole_row), context);
}

/* A member's copy of an outer-query expression, in the member's own columns. */
static Node *
member_expression(Node *expr, const SplitMember *member)
{
	if (member->targets == NIL)
		return (Node *) copyObject(expr);
	return substitute_member_columns(expr, member->targets);
}

/*
 * plan_member_fragment builds the worker statement of one member (grouping
 * expressions, then partial aggregates, over its table and filters), records
 * it, and returns its placeholder number.
 */
static int
plan_member_fragment(Query *query, const SplitMember *member, SplitContext *context, ParamListInfo bound_parameters,
					 List **column_names)
{
	Query *worker = makeNode(Query);
	worker->commandType = CMD_SELECT;
	worker->canSetTag = true;
	RangeTblEntry *worker_entry = (RangeTblEntry *) copyObject(member->table_entry);
	worker_entry->inh = true; /* printed without ONLY, so shards can be put in its place */
	worker->rtable = list_make1(worker_entry);
	List *quals = make_ands_implicit((Expr *) member_expression(query->jointree->quals, member));
	if (member->quals != NULL)
		quals = list_concat(make_ands_implicit((Expr *) copyObject(member->quals)), quals);
	RangeTblRef *reference = makeNode(RangeTblRef);
	reference->rtindex = 1;
	worker->jointree = makeFromExpr(list_make1(reference), quals != NIL ? (Node *) make_ands_explicit(quals) : NULL);
	worker->hasAggs = true;
	int resno = 0;
	List *column_types = NIL, *column_typmods = NIL, *column_collations = NIL;
	*column_names = NIL;
	ListCell *cell;
	foreach (cell, context->grouping_exprs)
	{
		Node *expr = member_expression((Node *) lfirst(cell), member);
		resno++;
		TargetEntry *entry = makeTargetEntry((Expr *) expr, resno, psprintf("group%d", resno), false);
		entry->ressortgroupref = resno;
		worker->targetList = lappend(worker->targetList, entry);
		SortGroupClause *group = (SortGroupClause *) copyObject(list_nth(query->groupClause, resno - 1));
		group->tleSortGroupRef = resno;
		worker->groupClause = lappend(worker->groupClause, group);
		*column_names = lappend(*column_names, makeString(psprintf("group%d", resno)));
		column_types = lappend_oid(column_types, exprType(expr));
		column_typmods = lappend_int(column_typmods, exprTypmod(expr));
		column_collations = lappend_oid(column_collations, exprCollation(expr));
	}
	foreach (cell, context->partial_aggrefs)
	{
		resno++;
		Node *partial = member_expression((Node *) lfirst(cell), member);
		worker->targetList =
			lappend(worker->targetList, makeTargetEntry((Expr *) partial, resno, psprintf("partial%d", resno), false));
		*column_names = lappend(*column_names, makeString(psprintf("partial%d", resno)));
		column_types = lappend_oid(column_types, BYTEAOID);
		column_typmods = lappend_int(column_typmods, -1);
		column_collations = lappend_oid(column_collations, InvalidOid);
	}

	const DistributedTable *table = distributed_table_lookup(member->table_entry->relid);
	bool no_shard = false;
	List *pruned = prune_shards(table, 1, quals, bound_parameters, &no_shard);
	if (no_shard)
	{
		int64 *none = (int64 *) palloc(sizeof(int64));
		*none = -1;
		pruned = list_make1(none);
	}
	SplitFragment *fragment = (SplitFragment *) palloc0(sizeof(SplitFragment));
	fragment->shard_template = shard_query_template(worker);
	fragment->table_id = table->table_id;
	fragment->pruned_shard_ids = pruned;
	fragment->column_types = column_types;
	fragment->column_typmods = column_typmods;
	fragment->column_collations = column_collations;
	planned_fragments = lappend(planned_fragments, fragment);
	return list_length(planned_fragments) - 1;
}

/* The range-table entry of placeholder n: shale.remote_rows(n) with the fragment's columns. */
static RangeTblEntry *
placeholder_entry(int number, List *column_names)
{
	const SplitFragment *fragment = split_fragment(number);
	RangeTblFunction *function = makeNode(RangeTblFunction);
	Const *argument = makeConst(INT4OID, -1, InvalidOid, sizeof(int32), Int32GetDatum(number), false, true);
	function->funcexpr = (Node *) makeFuncExpr(remote_rows_function(), RECORDOID, list_make1(argument), InvalidOid,
											   InvalidOid, COERCE_EXPLICIT_CALL);
	function->funccolcount = list_length(column_names);
	function->funccolnames = column_names;
	function->funccoltypes = fragment->column_types;
	function->funccoltypmods = fragment->column_typmods;
	function->funccolcollations = fragment->column_collations;
	RangeTblEntry *placeholder = makeNode(RangeTblEntry);
	placeholder->rtekind = RTE_FUNCTION;
	placeholder->functions = list_make1(function);
	placeholder->eref = makeAlias("remote_rows", column_names);
	placeholder->alias = makeAlias("remote_rows", NIL);
	placeholder->inFromCl = true;
	return placeholder;
}

/* A target list reading a fragment's columns from range-table entry 1, under the given names. */
static List *
fragment_columns(const SplitFragment *fragment, List *column_names)
{
	List *targets = NIL;
	for (int column = 1; column <= list_length(column_names); column++)
	{
		Var *var = makeVar(1, column, list_nth_oid(fragment->column_types, column - 1),
						   list_nth_int(fragment->column_typmods, column - 1),
						   list_nth_oid(fragment->column_collations, column - 1), 0);
		targets = lappend(targets, makeTargetEntry((Expr *) var, column, strVal(list_nth(column_names, column - 1)), false));
	}
	return targets;
}

/* "SELECT * FROM shale.remote_rows(n)" as a query tree. */
static Query *
placeholder_query(int number, List *column_names)
{
	Query *leaf = makeNode(Query);
	leaf->commandType = CMD_SELECT;
	leaf->canSetTag = true;
	leaf->rtable = list_make1(placeholder_entry(number, column_names));
	RangeTblRef *reference = makeNode(RangeTblRef);
	reference->rtindex = 1;
	leaf->jointree = makeFromExpr(list_make1(reference), NULL);
	leaf->targetList = fragment_columns(split_fragment(number), column_names);
	return leaf;
}

/*
 * union_of_placeholders is the router's FROM item over several members:
 * (SELECT * FROM remote_rows(a) UNION ALL SELECT * FROM remote_rows(b) …),
 * which PostgreSQL flattens into an Append of remote scans.
 */
static RangeTblEntry *
union_of_placeholders(List *numbers, List *column_names)
{
	Query *union_query = makeNode(Query);
	union_query->commandType = CMD_SELECT;
	union_query->canSetTag = true;
	union_query->jointree = makeFromExpr(NIL, NULL);
	const SplitFragment *first = split_fragment(linitial_int(numbers));
	Node *tree = NULL;
	ListCell *cell;
	foreach (cell, numbers)
	{
		RangeTblEntry *leaf = makeNode(RangeTblEntry);
		leaf->rtekind = RTE_SUBQUERY;
		leaf->subquery = placeholder_query(lfirst_int(cell), column_names);
		leaf->eref = makeAlias("remote_rows", column_names);
		leaf->inFromCl = false;
		union_query->rtable = lappend(union_query->rtable, leaf);
		RangeTblRef *reference = makeNode(RangeTblRef);
		reference->rtindex = list_length(union_query->rtable);
		if (tree == NULL)
		{
			tree = (Node *) reference;
			continue;
		}
		SetOperationStmt *operation = makeNode(SetOperationStmt);
		operation->op = SETOP_UNION;
		operation->all = true;
		operation->larg = tree;
		operation->rarg = (Node *) reference;
		operation->colTypes = first->column_types;
		operation->colTypmods = first->column_typmods;
		operation->colCollations = first->column_collations;
		tree = (Node *) operation;
	}
	union_query->setOperations = tree;
	union_query->targetList = fragment_columns(first, column_names);
	RangeTblEntry *entry = makeNode(RangeTblEntry);
	entry->rtekind = RTE_SUBQUERY;
	entry->subquery = union_query;
	entry->eref = makeAlias("remote_rows", column_names);
	entry->alias = makeAlias("remote_rows", NIL);
	entry->inFromCl = true;
	return entry;
}

/* Collects every table and view the original query names, for permission checks and locks. */
static bool
collect_relation_entries(Node *node, List **entries)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *entry = (RangeTblEntry *) node;
		if (entry->rtekind == RTE_RELATION)
		{
			RangeTblEntry *copy = (RangeTblEntry *) copyObject(entry);
			copy->inFromCl = false;
			*entries = lappend(*entries, copy);
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, SHALE_WALKER(collect_relation_entries), entries,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, SHALE_WALKER(collect_relation_entries), entries);
}

Query *
split_aggregation(Query *query, ParamListInfo bound_parameters)
{
	List *members = splittable_members(query);
	if (members == NIL)
		return NULL;
	bool over_union = ((SplitMember *) linitial(members))->targets != NIL;

	SplitContext context;
	memset(&context, 0, sizeof(context));
	ListCell *cell;
	foreach (cell, query->groupClause)
		context.grouping_exprs = lappend(context.grouping_exprs,
										 get_sortgroupclause_expr((SortGroupClause *) lfirst(cell), query->targetList));

	Query *router = (Query *) copyObject(query);
	foreach (cell, router->targetList)
	{
		TargetEntry *entry = (TargetEntry *) lfirst(cell);
		entry->expr = (Expr *) replace_for_router((Node *) entry->expr, &context);
	}
	router->havingQual = replace_for_router(router->havingQual, &context);
	if (context.failed)
		return NULL;
	if (over_union && (uses_whole_row((Node *) context.grouping_exprs, NULL) ||
					   uses_whole_row((Node *) context.partial_aggrefs, NULL) ||
					   uses_whole_row(query->jointree->quals, NULL)))
		return NULL;

	/* one worker statement per member: grouping expressions, then partial aggregates */
	List *numbers = NIL;
	List *column_names = NIL;
	foreach (cell, members)
		numbers = lappend_int(numbers, plan_member_fragment(query, (SplitMember *) lfirst(cell), &context,
															 bound_parameters, &column_names));

	/* the router query reads the placeholders; the tables stay in the range table for permission checks */
	RangeTblEntry *source = list_length(numbers) == 1 ? placeholder_entry(linitial_int(numbers), column_names)
													  : union_of_placeholders(numbers, column_names);
	List *permission_entries = NIL;
	range_table_walker(query->rtable, SHALE_WALKER(collect_relation_entries), &permission_entries,
					   QTW_EXAMINE_RTES_BEFORE);
	router->rtable = lcons(source, permission_entries);
	RangeTblRef *reference = makeNode(RangeTblRef);
	reference->rtindex = 1;
	router->jointree = makeFromExpr(list_make1(reference), NULL);
	router->hasAggs = true;
	return router;
}

const SplitFragment *
split_fragment(int number)
{
	if (number < 0 || number >= list_length(planned_fragments))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("shale.remote_rows() is a placeholder for the planner and cannot be called"),
						errhint("Query the distributed tables themselves.")));
	return (const SplitFragment *) list_nth(planned_fragments, number);
}

void
forget_split_fragments(void)
{
	planned_fragments = NIL;
}

SHALE_FUNCTION(shale_remote_rows)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("shale.remote_rows() is a placeholder for the planner and cannot be called"),
					errhint("Query the distributed tables themselves.")));
	PG_RETURN_NULL();
}
