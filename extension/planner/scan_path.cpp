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
#include "utils/postgres_headers.h"

extern "C" {
#include "access/sysattr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "rewrite/rewriteManip.h"
}

#include "executor/remote_scan.h"
#include "metadata/metadata_cache.h"
#include "planner/query_deparse.h"
#include "planner/scan_path.h"
#include "planner/shard_pinning.h"

static set_rel_pathlist_hook_type previous_pathlist_hook = NULL;
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

/* plan_remote_path turns the chosen path into a remote scan of every (pruned) shard. */
static Plan *
plan_remote_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses,
				 List *custom_plans)
{
	(void) best_path;
	(void) custom_plans;
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
	fragment_entry->inh = false;
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

	CustomScan *scan = make_remote_scan(&plan);
	scan->scan.scanrelid = rel->relid;
	scan->scan.plan.targetlist = tlist;
	scan->scan.plan.qual = local_clauses;
	scan->flags = best_path->flags;
	return &scan->scan.plan;
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
	if (entry->rtekind != RTE_RELATION || distributed_table_lookup(entry->relid) == NULL)
		return;
	if (rel->reloptkind != RELOPT_BASEREL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("distributed table \"%s\" cannot be read here", get_rel_name(entry->relid))));
	const DistributedTable *table = distributed_table_lookup(entry->relid);
	rel->pathlist = NIL;
	rel->partial_pathlist = NIL;
	CustomPath *path = makeNode(CustomPath);
	path->path.pathtype = T_CustomScan;
	path->path.parent = rel;
	path->path.pathtarget = rel->reltarget;
	path->path.param_info = NULL;
	path->path.rows = Max(rel->rows, 1);
	/* a round trip per group, then rows over the network */
	path->path.startup_cost = 100 + 5 * table->shard_count;
	path->path.total_cost = path->path.startup_cost + path->path.rows * (cpu_tuple_cost * 10);
	path->methods = &remote_path_methods;
	add_path(rel, &path->path);
}

void
scan_path_init(void)
{
	memset(&remote_path_methods, 0, sizeof(remote_path_methods));
	remote_path_methods.CustomName = "ShaleRemoteScan";
	remote_path_methods.PlanCustomPath = plan_remote_path;
	previous_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = set_remote_pathlist;
}
