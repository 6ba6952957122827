/*
 * planner_hook.cpp — the planner hook. Statements without distributed tables
 * take PostgreSQL's standard path after one cheap check; statements on
 * distributed tables go to Shale's distributed planner.
 */
#include "utils/postgres_headers.h"

extern "C" {
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
}

#include "metadata/metadata_cache.h"
#include "planner/planner_hook.h"

static planner_hook_type previous_planner_hook = NULL;

/* find_distributed_table walks a query tree for the first distributed or reference table. */
static bool
find_distributed_table(Node *node, Oid *found)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *entry = (RangeTblEntry *) node;
		if (entry->rtekind == RTE_RELATION && distributed_table_lookup(entry->relid) != NULL)
		{
			*found = entry->relid;
			return true;
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, SHALE_WALKER(find_distributed_table), found, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, SHALE_WALKER(find_distributed_table), found);
}

static PlannedStmt *
shale_planner(Query *query, const char *query_string, int cursor_options, ParamListInfo bound_parameters)
{
	Oid distributed_table_id = InvalidOid;
	if (any_distributed_table_exists() && find_distributed_table((Node *) query, &distributed_table_id))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("queries on distributed table \"%s\" are not supported yet", get_rel_name(distributed_table_id)),
						errhint("This build of Shale places tables in shards but cannot query them yet; "
								"shale.undistribute_table() brings the rows back to the router.")));
	if (previous_planner_hook != NULL)
		return previous_planner_hook(query, query_string, cursor_options, bound_parameters);
	return standard_planner(query, query_string, cursor_options, bound_parameters);
}

void
planner_hook_init(void)
{
	previous_planner_hook = planner_hook;
	planner_hook = shale_planner;
}
