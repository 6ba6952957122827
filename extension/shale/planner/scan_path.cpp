/*
 * scan_path.cpp — distributed tables as scans inside PostgreSQL's own plans.
 *
 * When a statement cannot run whole on one worker, PostgreSQL plans it as
 * usual, and every distributed or reference table in it is read by a remote
 * scan: the scan sends "SELECT needed columns FROM shard WHERE pushable
 * filters" to the shards that pruning keeps (one UNION ALL per worker group)
 * and yields rows; joins, aggregates, sorting, windows and the rest then run on
 * the router exactly as PostgreSQL runs them, so every query shape PostgreSQL
 * accepts returns what PostgreSQL returns.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/sysattr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "parser/parsetree.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "rewrite/rewriteManip.h"
}

#include "shale/executor/remote_scan.h"
#include "shale/planner/aggregate_pushdown.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/planner/query_deparse.h"
#include "shale/planner/scan_path.h"
#include "shale/insights/query_stats.h"
#include "shale/planner/shard_pinning.h"

static set_rel_pathlist_hook_type previous_pathlist_hook = NULL;
static get_relation_info_hook_type previous_relation_info_hook = NULL;
/* the locking clause of the SELECT being planned (scan_path_lock_rows), or NULL */
static const RowMarkClause *planned_row_lock = NULL;

void
scan_path_lock_rows(const RowMarkClause *mark)
{
	planned_row_lock = mark;
}
static CustomPathMethods remote_path_methods;

/* Finds parameters other than the statement's own ($n): those of subplans and nested loops. */
static bool
contains_internal_parameter(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind != PARAM_EXTERN)
		return true;
	return expression_tree_walker(node, SHALE_WALKER(contains_internal_parameter), context);
}

/* Whether a restriction can be evaluated on the worker instead of the router. */
static bool
clause_is_pushable(Expr *clause, Index relid)
{
	if (contain_volatile_functions((Node *) clause) || contain_subplans((Node *) clause) ||
		!expression_is_pushable((Node *) clause))
		return false;
	/* only this table's columns and external parameters */
	List *vars = pull_var_clause((Node *) clause, PVC_RECURSE_PLACEHOLDERS | PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS);
	ListCell *cell;
	foreach (cell, vars)
	{
		Var *var = (Var *) lfirst(cell);
		if (var->varno != (int) relid || var->varlevelsup != 0 || var->varattno <= 0)
			return false;
	}
	return !contains_internal_parameter((Node *) clause, NULL);
}

/*
 * plan_partial_rows turns a shale.remote_rows(n) placeholder into a remote scan
 * of the worker statement n (partial aggregates); its rows have the
 * placeholder's columns.
 */
static Plan *
plan_partial_rows(RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses)
{
	const SplitFragment *fragment = split_fragment(intVal(linitial(best_path->custom_private)));
	RemotePlan plan;
	memset(&plan, 0, sizeof(plan));
	plan.mode = REMOTE_EVERY_SHARD;
	plan.flags = REMOTE_RETURNS_ROWS;
	plan.shard_template = fragment->shard_template;
	plan.table_id = fragment->table_id;
	plan.pruned_shard_ids = fragment->pruned_shard_ids;
	CustomScan *scan = make_remote_scan(&plan);
	List *scan_tlist = NIL;
	for (int column = 1; column <= list_length(fragment->column_types); column++)
	{
		Var *var = makeVar(rel->relid, column, list_nth_oid(fragment->column_types, column - 1),
						   list_nth_int(fragment->column_typmods, column - 1),
						   list_nth_oid(fragment->column_collations, column - 1), 0);
		scan_tlist = lappend(scan_tlist, makeTargetEntry((Expr *) var, column, NULL, false));
	}
	scan->custom_scan_tlist = scan_tlist;
	scan->scan.scanrelid = 0;
	scan->scan.plan.targetlist = tlist;
	scan->scan.plan.qual = extract_actual_clauses(clauses, false);
	return &scan->scan.plan;
}

/* plan_remote_path turns the chosen path into a remote scan of every (pruned) shard. */
static Plan *
plan_remote_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses,
				 List *custom_plans)
{
	(void) custom_plans;
	if (best_path->custom_private != NIL)
		return plan_partial_rows(rel, best_path, tlist, clauses);
	RangeTblEntry *entry = planner_rt_fetch(rel->relid, root);
	const DistributedTable *table = distributed_table_lookup(entry->relid);

	List *remote_clauses = NIL;
	List *local_clauses = NIL;
	ListCell *cell;
	foreach (cell, clauses)
	{
		RestrictInfo *restriction = (RestrictInfo *) lfirst(cell);
		if (restriction->pseudoconstant)
			local_clauses = lappend(local_clauses, restriction->clause);
		else if (clause_is_pushable(restriction->clause, rel->relid))
			remote_clauses = lappend(remote_clauses, restriction->clause);
		else
			local_clauses = lappend(local_clauses, restriction->clause);
	}

	/* the columns the rest of the plan needs: from the rel's target and the local filters */
	Bitmapset *needed = NULL;
	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &needed);
	pull_varattnos((Node *) local_clauses, rel->relid, &needed);
	Relation relation = RelationIdGetRelation(entry->relid);
	TupleDesc descriptor = RelationGetDescr(relation);
	bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, needed);
	for (int attno = FirstLowInvalidHeapAttributeNumber + 1; attno < 0; attno++)
		if (bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, needed))
		{
			RelationClose(relation);
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("system column \"%s\" of distributed table \"%s\" is not supported",
								   get_attname(entry->relid, attno, false), get_rel_name(entry->relid)),
							errhint("System columns such as ctid differ between shards; select user columns.")));
		}

	Query *fragment = makeNode(Query);
	fragment->commandType = CMD_SELECT;
	fragment->canSetTag = true;
	RangeTblEntry *fragment_entry = (RangeTblEntry *) copyObject(entry);
	fragment_entry->inh = true; /* printed without ONLY, so the shards of a group can take its place */
	fragment->rtable = list_make1(fragment_entry);
	List *fragment_clauses = (List *) copyObject(remote_clauses);
	ChangeVarNodes((Node *) fragment_clauses, rel->relid, 1, 0);
	RangeTblRef *reference = makeNode(RangeTblRef);
	reference->rtindex = 1;
	fragment->jointree = makeFromExpr(list_make1(reference),
									  fragment_clauses != NIL ? (Node *) make_ands_explicit(fragment_clauses) : NULL);
	List *result_attnos = NIL;
	for (int attno = 1; attno <= descriptor->natts; attno++)
	{
		Form_pg_attribute attribute = TupleDescAttr(descriptor, attno - 1);
		if (attribute->attisdropped ||
			!(whole_row || bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, needed)))
			continue;
		Var *var = makeVar(1, attno, attribute->atttypid, attribute->atttypmod, attribute->attcollation, 0);
		fragment->targetList = lappend(fragment->targetList,
									   makeTargetEntry((Expr *) var, list_length(fragment->targetList) + 1,
													   pstrdup(NameStr(attribute->attname)), false));
		result_attnos = lappend_int(result_attnos, attno);
	}
	RelationClose(relation);

	RemotePlan plan;
	memset(&plan, 0, sizeof(plan));
	plan.mode = REMOTE_EVERY_SHARD;
	plan.flags = REMOTE_RETURNS_ROWS;
	if (planned_row_lock != NULL && planned_row_lock->rti == rel->relid)
	{
		/* the workers lock exactly the rows they return: every filter must go with the lock */
		if (local_clauses != NIL)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("SELECT … FOR UPDATE/SHARE across shards of \"%s\" with a filter the workers cannot "
								   "evaluate is not supported",
								   get_rel_name(entry->relid)),
							errhint("Use only built-in functions and constants in the WHERE clause, or pin the "
									"statement to one shard with a condition on the distribution column.")));
		RowMarkClause *mark = (RowMarkClause *) copyObject(planned_row_lock);
		mark->rti = 1;
		fragment->rowMarks = list_make1(mark);
		fragment->hasForUpdate = true;
		plan.flags |= REMOTE_LOCKS_ROWS;
	}
	plan.shard_template = shard_query_template(fragment);
	plan.result_attnos = result_attnos;
	plan.table_id = entry->relid;
	bool no_shard = false;
	plan.pruned_shard_ids = prune_shards(table, 1, fragment_clauses, root->glob->boundParams, &no_shard);
	if (no_shard)
	{
		int64 *none = (int64 *) palloc(sizeof(int64));
		*none = -1; /* matches no shard */
		plan.pruned_shard_ids = list_make1(none);
	}
	if (table->kind == TABLE_KIND_REFERENCE)
		plan.pruned_shard_ids = NIL; /* one shard; read from its first placement */
	else if (plan.pruned_shard_ids == NIL)
		query_stats_note_fanout_filter(entry->relid, rel->relid, table->distribution_attnum, remote_clauses);

	CustomScan *scan = make_remote_scan(&plan);
	scan->scan.scanrelid = rel->relid;
	scan->scan.plan.targetlist = tlist;
	scan->scan.plan.qual = local_clauses;
	scan->flags = best_path->flags;
	return &scan->scan.plan;
}

/* Makes a remote scan the only path of a rel; custom_private tells which kind. */
static void
replace_paths_with_remote_scan(RelOptInfo *rel, Cost startup_cost, Cost cost_per_row, List *custom_private)
{
	rel->pathlist = NIL;
	rel->partial_pathlist = NIL;
	CustomPath *path = makeNode(CustomPath);
	path->path.pathtype = T_CustomScan;
	path->path.parent = rel;
	path->path.pathtarget = rel->reltarget;
	path->path.param_info = NULL;
	path->path.rows = Max(rel->rows, 1);
	path->path.startup_cost = startup_cost;
	path->path.total_cost = startup_cost + path->path.rows * cost_per_row;
	path->custom_private = custom_private;
	path->methods = &remote_path_methods;
	add_path(rel, &path->path);
}

/* A shale.remote_rows(n) placeholder gets the only path: a remote scan of fragment n. */
static void
set_partial_rows_pathlist(RelOptInfo *rel, RangeTblEntry *entry)
{
	if (list_length(entry->functions) != 1)
		return;
	Node *call = ((RangeTblFunction *) linitial(entry->functions))->funcexpr;
	if (!IsA(call, FuncExpr) || ((FuncExpr *) call)->funcid != remote_rows_function())
		return;
	Node *number = (Node *) linitial(((FuncExpr *) call)->args);
	if (!IsA(number, Const))
		return;
	replace_paths_with_remote_scan(rel, 100, cpu_tuple_cost,
								   list_make1(makeInteger(DatumGetInt32(((Const *) number)->constvalue))));
}

/*
 * estimate_rows_from_shards gives a distributed or reference table the row
 * count of its shards (which ANALYZE on the table records on the router): the
 * router's own table is an empty shell, so PostgreSQL's estimate would be near
 * zero. It runs as get_relation_info_hook, before PostgreSQL sizes the rel, so
 * base relations and members of append relations (UNION ALL) alike get
 * estimates from it.
 */
static void
estimate_rows_from_shards(PlannerInfo *root, Oid table_id, bool inherited_parent, RelOptInfo *rel)
{
	if (previous_relation_info_hook != NULL)
		previous_relation_info_hook(root, table_id, inherited_parent, rel);
	if (distributed_table_lookup(table_id) == NULL)
		return;
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(table_id));
	if (!HeapTupleIsValid(tuple))
		return;
	double shard_rows = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;
	ReleaseSysCache(tuple);
	if (shard_rows > 0)
		rel->tuples = shard_rows;
}

/*
 * set_remote_pathlist replaces every path of a distributed or reference
 * table with the remote scan: the router's own copy of the table is an empty
 * shell and must never be read as if it were the data.
 */
static void
set_remote_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *entry)
{
	if (previous_pathlist_hook != NULL)
		previous_pathlist_hook(root, rel, rti, entry);
	if (entry->rtekind == RTE_FUNCTION)
	{
		set_partial_rows_pathlist(rel, entry);
		return;
	}
	if (entry->rtekind != RTE_RELATION || distributed_table_lookup(entry->relid) == NULL)
		return;
	/* base relations, and members of append relations (UNION ALL subqueries and views) */
	if (rel->reloptkind != RELOPT_BASEREL && rel->reloptkind != RELOPT_OTHER_MEMBER_REL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("distributed table \"%s\" cannot be read in this part of the query", get_rel_name(entry->relid)),
						errhint("Read it in a subquery in FROM or in a WITH query, and use that result here.")));
	if (entry->tablesample != NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("TABLESAMPLE is not supported on distributed table \"%s\"", get_rel_name(entry->relid)),
						errhint("Sample with a filter instead, e.g. WHERE random() < 0.1.")));
	const DistributedTable *table = distributed_table_lookup(entry->relid);
	/* a round trip per group, then rows over the network */
	replace_paths_with_remote_scan(rel, 100 + 5 * table->shard_count, cpu_tuple_cost * 10, NIL);
}

void
scan_path_init(void)
{
	memset(&remote_path_methods, 0, sizeof(remote_path_methods));
	remote_path_methods.CustomName = "ShaleRemoteScan";
	remote_path_methods.PlanCustomPath = plan_remote_path;
	previous_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = set_remote_pathlist;
	previous_relation_info_hook = get_relation_info_hook;
	get_relation_info_hook = estimate_rows_from_shards;
}
