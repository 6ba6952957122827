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
#include "utils/postgres_headers.h"

extern "C" {
#include "catalog/pg_aggregate.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/syscache.h"
}

#include "metadata/metadata_cache.h"
#include "planner/aggregate_pushdown.h"
#include "planner/query_deparse.h"
#include "planner/shard_pinning.h"

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

/* Whether the query has the shape this rewrite handles. */
static const DistributedTable *
splittable_table(Query *query)
{
	if (query->commandType != CMD_SELECT || (!query->hasAggs && query->groupClause == NIL) ||
		query->groupingSets != NIL || query->hasSubLinks || query->hasTargetSRFs || query->rowMarks != NIL ||
		query->cteList != NIL || query->setOperations != NULL || query->hasDistinctOn ||
		list_length(query->rtable) != 1 || list_length(query->jointree->fromlist) != 1 ||
		!IsA(linitial(query->jointree->fromlist), RangeTblRef))
		return NULL;
	RangeTblEntry *entry = (RangeTblEntry *) linitial(query->rtable);
	if (entry->rtekind != RTE_RELATION || entry->tablesample != NULL)
		return NULL;
	const DistributedTable *table = distributed_table_lookup(entry->relid);
	if (table == NULL || table->kind != TABLE_KIND_DISTRIBUTED)
		return NULL;
	Node *quals = query->jointree->quals;
	if (!expression_is_pushable(quals) || contain_volatile_functions(quals))
		return NULL;
	ListCell *cell;
	foreach (cell, query->groupClause)
	{
		Node *expr = (Node *) get_sortgroupclause_expr((SortGroupClause *) lfirst(cell), query->targetList);
		if (!expression_is_pushable(expr) || contain_volatile_functions(expr))
			return NULL;
	}
	return table;
}

Query *
split_aggregation(Query *query, ParamListInfo bound_parameters)
{
	const DistributedTable *table = splittable_table(query);
	if (table == NULL)
		return NULL;

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

	/* the worker statement: grouping expressions, then partial aggregates */
	Query *worker = makeNode(Query);
	worker->commandType = CMD_SELECT;
	worker->canSetTag = true;
	RangeTblEntry *worker_entry = (RangeTblEntry *) copyObject(linitial(query->rtable));
	worker_entry->inh = true; /* printed without ONLY, so shards can be put in its place */
	worker->rtable = list_make1(worker_entry);
	worker->jointree = (FromExpr *) copyObject(query->jointree);
	worker->hasAggs = true;
	int resno = 0;
	List *column_names = NIL, *column_types = NIL, *column_typmods = NIL, *column_collations = NIL;
	foreach (cell, context.grouping_exprs)
	{
		Node *expr = (Node *) copyObject(lfirst(cell));
		resno++;
		TargetEntry *entry = makeTargetEntry((Expr *) expr, resno, psprintf("group%d", resno), false);
		entry->ressortgroupref = resno;
		worker->targetList = lappend(worker->targetList, entry);
		SortGroupClause *group = (SortGroupClause *) copyObject(list_nth(query->groupClause, resno - 1));
		group->tleSortGroupRef = resno;
		worker->groupClause = lappend(worker->groupClause, group);
		column_names = lappend(column_names, makeString(psprintf("group%d", resno)));
		column_types = lappend_oid(column_types, exprType(expr));
		column_typmods = lappend_int(column_typmods, exprTypmod(expr));
		column_collations = lappend_oid(column_collations, exprCollation(expr));
	}
	foreach (cell, context.partial_aggrefs)
	{
		resno++;
		worker->targetList = lappend(worker->targetList,
									 makeTargetEntry((Expr *) lfirst(cell), resno, psprintf("partial%d", resno), false));
		column_names = lappend(column_names, makeString(psprintf("partial%d", resno)));
		column_types = lappend_oid(column_types, BYTEAOID);
		column_typmods = lappend_int(column_typmods, -1);
		column_collations = lappend_oid(column_collations, InvalidOid);
	}

	bool no_shard = false;
	List *pruned = prune_shards(table, 1, make_ands_implicit((Expr *) worker->jointree->quals), bound_parameters,
								&no_shard);
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

	/* the router query reads the placeholder; the table stays in the range table for permission checks */
	RangeTblFunction *function = makeNode(RangeTblFunction);
	Const *number = makeConst(INT4OID, -1, InvalidOid, sizeof(int32), Int32GetDatum(list_length(planned_fragments) - 1),
							  false, true);
	function->funcexpr = (Node *) makeFuncExpr(remote_rows_function(), RECORDOID, list_make1(number), InvalidOid,
											   InvalidOid, COERCE_EXPLICIT_CALL);
	function->funccolcount = list_length(column_names);
	function->funccolnames = column_names;
	function->funccoltypes = column_types;
	function->funccoltypmods = column_typmods;
	function->funccolcollations = column_collations;
	RangeTblEntry *placeholder = makeNode(RangeTblEntry);
	placeholder->rtekind = RTE_FUNCTION;
	placeholder->functions = list_make1(function);
	placeholder->eref = makeAlias("remote_rows", column_names);
	placeholder->alias = makeAlias("remote_rows", NIL);
	placeholder->inFromCl = true;
	RangeTblEntry *permission_entry = (RangeTblEntry *) copyObject(linitial(query->rtable));
	permission_entry->inFromCl = false;
	router->rtable = list_make2(placeholder, permission_entry);
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
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("shale: unknown remote fragment %d", number)));
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
					errmsg("shale.remote_rows() is a placeholder for the planner and cannot be called")));
	PG_RETURN_NULL();
}
