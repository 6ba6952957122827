/*
 * planner_hook.cpp — the planner hook: which path a statement takes.
 *
 *   no distributed table    → PostgreSQL's planner, after one cheap check;
 *   router                  → every distributed table pinned to one shard: the
 *                             whole statement runs on one worker group;
 *   INSERT                  → rows computed on the router, routed to shards;
 *   multi-shard UPDATE and DELETE on one table → the statement on every shard;
 *   other SELECTs           → PostgreSQL plans them, reading distributed tables
 *                             through remote scans (scan_path.cpp);
 *   anything else           → an ERROR naming the construct, with a HINT.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/planmain.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
}

#include "shale/executor/remote_insert.h"
#include "shale/executor/remote_scan.h"
#include "shale/metadata/shard_foreign_keys.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/planner/aggregate_pushdown.h"
#include "shale/planner/planner_hook.h"
#include "shale/insights/query_stats.h"
#include "shale/planner/query_deparse.h"
#include "shale/planner/scan_path.h"
#include "shale/planner/shard_pinning.h"

static planner_hook_type previous_planner_hook = NULL;

/* Collects every distributed or reference table a query tree reads or writes (an OidList). */
static bool
collect_distributed_tables(Node *node, List **table_ids)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *entry = (RangeTblEntry *) node;
		if (entry->rtekind == RTE_RELATION && distributed_table_lookup(entry->relid) != NULL)
			*table_ids = lappend_oid(*table_ids, entry->relid);
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, SHALE_WALKER(collect_distributed_tables), table_ids,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, SHALE_WALKER(collect_distributed_tables), table_ids);
}

static PlannedStmt *
standard_planning(Query *query, const char *query_string, int cursor_options, ParamListInfo bound_parameters)
{
	if (previous_planner_hook != NULL)
		return previous_planner_hook(query, query_string, cursor_options, bound_parameters);
	return standard_planner(query, query_string, cursor_options, bound_parameters);
}

/* Makes plan-cache entries depend on the catalog, so a shard change replans. */
static void
depend_on_catalog(PlannedStmt *planned, List *table_ids)
{
	planned->relationOids = lappend_oid(planned->relationOids, metadata_invalidation_relid());
	planned->relationOids = list_concat_unique_oid(planned->relationOids, table_ids);
}

/*
 * set_remote_output sets the output of a top-level remote scan: its scan
 * tuple is the list of output expressions (types only; the rows come from the
 * worker) and its target list reads that tuple column by column.
 */
static void
set_remote_output(CustomScan *scan, List *output)
{
	List *scan_tlist = NIL;
	List *targetlist = NIL;
	ListCell *cell;
	int resno = 0;
	foreach (cell, output)
	{
		TargetEntry *entry = (TargetEntry *) lfirst(cell);
		if (entry->resjunk)
			continue;
		resno++;
		Expr *expr = entry->expr;
		scan_tlist = lappend(scan_tlist, makeTargetEntry((Expr *) copyObject(expr), resno, entry->resname, false));
		Var *var = makeVar(INDEX_VAR, resno, exprType((Node *) expr), exprTypmod((Node *) expr),
						   exprCollation((Node *) expr), 0);
		targetlist = lappend(targetlist, makeTargetEntry((Expr *) var, resno, entry->resname, false));
	}
	scan->custom_scan_tlist = scan_tlist;
	scan->scan.plan.targetlist = targetlist;
	scan->scan.scanrelid = 0;
}

static PlannedStmt *
make_planned_statement(Query *query, Plan *plan, int cursor_options, List *table_ids)
{
	PlannedStmt *planned = makeNode(PlannedStmt);
	planned->commandType = query->commandType;
	planned->queryId = query->queryId;
	planned->hasReturning = query->returningList != NIL;
	planned->hasModifyingCTE = query->hasModifyingCTE;
	planned->canSetTag = query->canSetTag;
	if (cursor_options & CURSOR_OPT_SCROLL)
		plan = materialize_finished_plan(plan);
	planned->planTree = plan;
	planned->rtable = query->rtable;
	planned->stmt_location = query->stmt_location;
	planned->stmt_len = query->stmt_len;
	depend_on_catalog(planned, table_ids);
	return planned;
}

/* The router plan: the whole statement on the shard its pin selects. */
static PlannedStmt *
plan_router(Query *query, const RouterPin *pin, int cursor_options, List *table_ids, int extra_flags)
{
	RemotePlan plan;
	memset(&plan, 0, sizeof(plan));
	plan.mode = REMOTE_ROUTER;
	plan.flags = extra_flags;
	if (query->commandType == CMD_SELECT || query->returningList != NIL)
		plan.flags |= REMOTE_RETURNS_ROWS;
	if (query->commandType != CMD_SELECT || query->hasModifyingCTE)
		plan.flags |= REMOTE_WRITES;
	if (query->rowMarks != NIL)
		plan.flags |= REMOTE_LOCKS_ROWS;
	plan.shard_template = shard_query_template(query);
	plan.pin_known = pin->pin_known;
	plan.pin_hash = pin->pin_hash;
	plan.pin_hash_function = pin->pin_hash_function;
	plan.pin_collation = pin->pin_collation;
	plan.pin_const = pin->pin_const;
	CustomScan *scan = make_remote_scan(&plan);
	if (pin->pin_parameter != NULL)
		scan->custom_exprs = list_make1(copyObject(pin->pin_parameter));
	set_remote_output(scan, query->commandType == CMD_SELECT ? query->targetList : query->returningList);
	return make_planned_statement(query, &scan->scan.plan, cursor_options, table_ids);
}

static void
refuse(const char *what, const char *table_name, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("%s is not supported on distributed table \"%s\"", what, table_name),
					errhint("%s", hint)));
}

/* Counts how often a table occurs in the statement's range tables. */
static int
occurrences(List *table_ids, Oid table_id)
{
	int count = 0;
	ListCell *cell;
	foreach (cell, table_ids)
		count += lfirst_oid(cell) == table_id;
	return count;
}

/* UPDATE and DELETE on a distributed or reference table. */
static PlannedStmt *
plan_modify(Query *query, ParamListInfo bound_parameters, int cursor_options, List *table_ids)
{
	RangeTblEntry *target = rt_fetch(query->resultRelation, query->rtable);
	const DistributedTable *table = distributed_table_lookup(target->relid);
	const char *verb = query->commandType == CMD_UPDATE ? "UPDATE" : "DELETE";
	const char *name = get_rel_name(target->relid);
	bool reference = table->kind == TABLE_KIND_REFERENCE;

	if (query->commandType == CMD_UPDATE && !reference)
	{
		ListCell *cell;
		foreach (cell, query->targetList)
		{
			TargetEntry *entry = (TargetEntry *) lfirst(cell);
			if (!entry->resjunk && entry->resno == table->distribution_attnum)
				ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("cannot change the distribution column \"%s\" of \"%s\"",
									   get_attname(target->relid, entry->resno, false), name),
								errhint("Delete the row and insert it with the new value.")));
		}
	}
	if (reference && contain_mutable_functions((Node *) query))
		refuse(psprintf("%s with functions whose result can vary", verb), name,
			   "Every copy of a reference table must get the same values: compute them first, then write constants.");

	RouterPin pin = analyse_router_pin(query, bound_parameters);
	if (pin.is_router && !(reference && pin.has_distributed_table))
		return plan_router(query, &pin, cursor_options, table_ids, reference ? REMOTE_ALL_PLACEMENTS : 0);

	/* the statement on every shard: only when no shard needs another's rows */
	if (!expression_is_pushable((Node *) query))
		refuse(psprintf("%s on several shards that reads a local table or calls a function the workers lack", verb), name,
			   "Use only built-in functions, and no local tables, in a statement on several shards, or pin it to one "
			   "shard with a condition on the distribution column.");
	/* other distributed tables (its own too) only joined on the distribution column, co-located */
	bool reads_other_tables = occurrences(table_ids, target->relid) > 1;
	ListCell *cell;
	foreach (cell, table_ids)
	{
		const DistributedTable *other = distributed_table_lookup(lfirst_oid(cell));
		reads_other_tables |= lfirst_oid(cell) != target->relid && other->kind == TABLE_KIND_DISTRIBUTED;
	}
	if (reads_other_tables && (reference || !statement_is_colocated_on(query, query->resultRelation)))
		refuse(psprintf("%s that reads other distributed tables on several shards", verb), name,
			   "Join co-located tables on their distribution columns (a = b), pin the statement to one shard "
			   "with a condition on the distribution column, or run it for each key.");

	RemotePlan plan;
	memset(&plan, 0, sizeof(plan));
	plan.mode = REMOTE_EVERY_SHARD;
	plan.flags = REMOTE_WRITES | (query->returningList != NIL ? REMOTE_RETURNS_ROWS : 0) |
				 (reference ? REMOTE_ALL_PLACEMENTS : 0);
	plan.shard_template = shard_query_template(query);
	plan.table_id = target->relid;
	bool no_shard = false;
	plan.pruned_shard_ids = prune_shards(table, query->resultRelation, make_ands_implicit((Expr *) query->jointree->quals),
										 bound_parameters, &no_shard);
	if (no_shard)
	{
		int64 *none = (int64 *) palloc(sizeof(int64));
		*none = -1;
		plan.pruned_shard_ids = list_make1(none);
	}
	CustomScan *scan = make_remote_scan(&plan);
	set_remote_output(scan, query->returningList);
	return make_planned_statement(query, &scan->scan.plan, cursor_options, table_ids);
}

/* The highest $n the statement uses. */
static bool
find_highest_parameter(Node *node, int *highest)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN)
		*highest = Max(*highest, ((Param *) node)->paramid);
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, SHALE_WALKER(find_highest_parameter), highest, 0);
	return expression_tree_walker(node, SHALE_WALKER(find_highest_parameter), highest);
}

/*
 * plan_insert plans the source of the rows (VALUES with defaults, or a SELECT)
 * as an ordinary query on the router and puts the routing remote scan on top.
 */
static PlannedStmt *
plan_insert(Query *query, const char *query_string, int cursor_options, ParamListInfo bound_parameters,
			List *table_ids)
{
	RangeTblEntry *target = rt_fetch(query->resultRelation, query->rtable);
	const DistributedTable *table = distributed_table_lookup(target->relid);
	const char *name = get_rel_name(target->relid);
	bool reference = table->kind == TABLE_KIND_REFERENCE;

	if (query->hasModifyingCTE)
		refuse("INSERT with a data-modifying WITH clause", name, "Run the statements one after the other.");
	if (query->onConflict != NULL && query->onConflict->action == ONCONFLICT_UPDATE)
	{
		ListCell *cell;
		foreach (cell, query->onConflict->onConflictSet)
		{
			TargetEntry *entry = (TargetEntry *) lfirst(cell);
			if (!reference && entry->resno == table->distribution_attnum)
				ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("cannot change the distribution column \"%s\" of \"%s\" in ON CONFLICT DO UPDATE",
									   get_attname(target->relid, entry->resno, false), name),
								errhint("Leave the distribution column out of the SET list.")));
		}
	}
	if ((query->onConflict != NULL && (!expression_is_pushable((Node *) query->onConflict) ||
									   (reference && contain_mutable_functions((Node *) query->onConflict)))) ||
		!expression_is_pushable((Node *) query->returningList))
		refuse("INSERT with this ON CONFLICT or RETURNING clause", name,
			   "Use only built-in functions and columns of the table in ON CONFLICT and RETURNING.");

	/* the rows: the INSERT's target list as a SELECT over its own range table */
	Query *source = (Query *) copyObject(query);
	source->commandType = CMD_SELECT;
	source->resultRelation = 0;
	source->onConflict = NULL;
	source->returningList = NIL;
	source->canSetTag = true;
	List *source_targets = NIL;
	List *target_attnos = NIL;
	int distribution_index = -1;
	ListCell *cell;
	foreach (cell, query->targetList)
	{
		TargetEntry *entry = (TargetEntry *) lfirst(cell);
		if (entry->resjunk)
			continue;
		if (!reference && entry->resno == table->distribution_attnum)
			distribution_index = list_length(target_attnos);
		target_attnos = lappend_int(target_attnos, entry->resno);
		source_targets = lappend(source_targets, makeTargetEntry((Expr *) copyObject(entry->expr),
																 list_length(source_targets) + 1, entry->resname, false));
	}
	source->targetList = source_targets;
	if (!reference && distribution_index < 0)
		ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
						errmsg("cannot insert into \"%s\" without a value for its distribution column \"%s\"", name,
							   get_attname(target->relid, table->distribution_attnum, false)),
						errhint("Every row of a distributed table needs a value in its distribution column.")));

	/* sequences and defaults must run on the router, and only once per row: no parallel source */
	PlannedStmt *planned = standard_planning(source, query_string, cursor_options & ~CURSOR_OPT_PARALLEL_OK,
											 bound_parameters);
	int parameter_offset = 0;
	find_highest_parameter((Node *) query, &parameter_offset);

	RemotePlan plan;
	memset(&plan, 0, sizeof(plan));
	plan.mode = REMOTE_INSERT;
	plan.flags = REMOTE_WRITES | (query->returningList != NIL ? REMOTE_RETURNS_ROWS : 0);
	plan.table_id = target->relid;
	plan.insert_info = make_insert_info(query, target_attnos, distribution_index, parameter_offset);
	CustomScan *scan = make_remote_scan(&plan);
	scan->custom_plans = list_make1(planned->planTree);
	set_remote_output(scan, query->returningList);

	planned->planTree = &scan->scan.plan;
	planned->commandType = CMD_INSERT;
	planned->hasReturning = query->returningList != NIL;
	planned->canSetTag = query->canSetTag;
	planned->parallelModeNeeded = false;
	depend_on_catalog(planned, table_ids);
	return planned;
}

/*
 * row_lock_on_workers returns the FOR UPDATE / SHARE clause of a multi-shard
 * SELECT when the workers can take exactly the locks PostgreSQL would take:
 * one distributed or reference table alone in FROM, locked by its own clause,
 * with no LIMIT or OFFSET (every row that passes the filters is returned, and
 * scan_path.cpp refuses a filter the workers cannot evaluate). Any other
 * locking clause on a distributed table is refused.
 */
/* Finds a FOR UPDATE / SHARE clause on a distributed table in a subquery or WITH query. */
static bool
find_nested_row_lock(Node *node, Oid *table_id)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query *query = (Query *) node;
		ListCell *cell;
		foreach (cell, query->rowMarks)
		{
			RangeTblEntry *entry = rt_fetch(((RowMarkClause *) lfirst(cell))->rti, query->rtable);
			if (entry->rtekind == RTE_RELATION && distributed_table_lookup(entry->relid) != NULL)
			{
				*table_id = entry->relid;
				return true;
			}
		}
		return query_tree_walker(query, SHALE_WALKER(find_nested_row_lock), table_id, 0);
	}
	return expression_tree_walker(node, SHALE_WALKER(find_nested_row_lock), table_id);
}

static pg_noinline RowMarkClause *
row_lock_on_workers(Query *query)
{
	Oid nested_table = InvalidOid;
	if (query_tree_walker(query, SHALE_WALKER(find_nested_row_lock), &nested_table, 0))
		refuse("SELECT … FOR UPDATE/SHARE in a subquery or WITH query across shards", get_rel_name(nested_table),
			   "Lock the rows in a statement of their own (SELECT … FROM that table WHERE … FOR UPDATE), or pin the "
			   "subquery to one shard with a condition on the distribution column.");
	if (query->rowMarks == NIL)
		return NULL;
	ListCell *cell;
	foreach (cell, query->rowMarks)
	{
		RowMarkClause *mark = (RowMarkClause *) lfirst(cell);
		RangeTblEntry *entry = rt_fetch(mark->rti, query->rtable);
		if (entry->rtekind != RTE_RELATION || distributed_table_lookup(entry->relid) == NULL)
			continue;
		const char *name = get_rel_name(entry->relid);
		if (list_length(query->rowMarks) != 1 || list_length(query->rtable) != 1 ||
			list_length(query->jointree->fromlist) != 1 || !IsA(linitial(query->jointree->fromlist), RangeTblRef) ||
			query->hasSubLinks || query->cteList != NIL)
			refuse("SELECT … FOR UPDATE/SHARE of a join, subquery or WITH query across shards", name,
				   "Lock the rows of one table at a time (SELECT … FROM that table WHERE … FOR UPDATE), or pin the "
				   "statement to one shard with a condition on the distribution column.");
		if (query->limitCount != NULL || query->limitOffset != NULL)
			refuse("SELECT … FOR UPDATE/SHARE with LIMIT or OFFSET across shards", name,
				   "Every shard would lock rows the LIMIT drops: select the keys first, then lock them with "
				   "WHERE key IN (…) FOR UPDATE, or pin the statement to one shard.");
		return mark;
	}
	return NULL;
}

/*
 * plan_multi_shard_select lets PostgreSQL plan a SELECT over remote scans,
 * after splitting aggregation over one table (its first step runs on the
 * workers) and handing a FOR UPDATE / SHARE clause to the workers.
 */
static pg_noinline PlannedStmt *
plan_over_remote_scans(Query *query, const RowMarkClause *row_lock, const char *query_string, int cursor_options,
					   ParamListInfo bound_parameters)
{
	PlannedStmt *volatile planned = NULL;
	PG_TRY();
	{
		scan_path_lock_rows(row_lock);
		Query *split = split_aggregation(query, bound_parameters);
		planned = standard_planning(split != NULL ? split : query, query_string, cursor_options, bound_parameters);
	}
	PG_CATCH();
	{
		forget_split_fragments();
		scan_path_lock_rows(NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	forget_split_fragments();
	scan_path_lock_rows(NULL);
	return planned;
}

static PlannedStmt *
plan_multi_shard_select(Query *query, const char *query_string, int cursor_options, ParamListInfo bound_parameters)
{
	/* FOR UPDATE / SHARE: the workers lock the rows, the router's plan takes no lock of its own */
	RowMarkClause *row_lock = row_lock_on_workers(query);
	if (row_lock == NULL)
		return plan_over_remote_scans(query, NULL, query_string, cursor_options, bound_parameters);
	Query *unlocked = (Query *) copyObject(query);
	unlocked->rowMarks = NIL;
	return plan_over_remote_scans(unlocked, row_lock, query_string, cursor_options, bound_parameters);
}

static PlannedStmt *
shale_planner(Query *query, const char *query_string, int cursor_options, ParamListInfo bound_parameters)
{
	if (!any_distributed_table_exists())
		return standard_planning(query, query_string, cursor_options, bound_parameters);
	/* rows into a local table whose foreign key points at a distributed table could not be checked later */
	if ((query->commandType == CMD_INSERT || query->commandType == CMD_MERGE) && query->resultRelation > 0)
		refuse_local_rows_with_keys(rt_fetch(query->resultRelation, query->rtable)->relid, false);
	List *table_ids = NIL;
	collect_distributed_tables((Node *) query, &table_ids);
	if (table_ids == NIL)
		return standard_planning(query, query_string, cursor_options, bound_parameters);

	switch (query->commandType)
	{
		case CMD_SELECT:
		{
			RouterPin pin = analyse_router_pin(query, bound_parameters);
			if (pin.is_router)
				return plan_router(query, &pin, cursor_options, table_ids, 0);
			if (query->hasModifyingCTE)
				ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								errmsg("data-modifying WITH clauses on distributed tables are supported only on one shard"),
								errhint("Pin every distributed table to one shard with a condition on its distribution column.")));
			query_stats_note_query_filters(query); /* evidence for distribution and index advice */
			PlannedStmt *planned = plan_multi_shard_select(query, query_string, cursor_options, bound_parameters);
			depend_on_catalog(planned, table_ids);
			return planned;
		}
		case CMD_INSERT:
		case CMD_UPDATE:
		case CMD_DELETE:
		{
			RangeTblEntry *target = rt_fetch(query->resultRelation, query->rtable);
			if (distributed_table_lookup(target->relid) == NULL)
			{
				/* a local table written from distributed data: PostgreSQL's plan with remote scans */
				if (query->hasModifyingCTE)
					ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("data-modifying WITH clauses together with distributed tables are not supported"),
									errhint("Run the statements one after the other.")));
				PlannedStmt *planned = standard_planning(query, query_string, cursor_options, bound_parameters);
				depend_on_catalog(planned, table_ids);
				return planned;
			}
			if (query->commandType == CMD_INSERT)
				return plan_insert(query, query_string, cursor_options, bound_parameters, table_ids);
			return plan_modify(query, bound_parameters, cursor_options, table_ids);
		}
		default:
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("%s is not supported on distributed tables",
								   query->commandType == CMD_MERGE ? "MERGE" : "this kind of statement"),
							errhint("Use INSERT … ON CONFLICT, UPDATE and DELETE instead.")));
	}
	return NULL;
}

void
planner_hook_init(void)
{
	remote_scan_init();
	scan_path_init();
	previous_planner_hook = planner_hook;
	planner_hook = shale_planner;
}
