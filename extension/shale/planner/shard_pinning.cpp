/*
 * shard_pinning.cpp — router analysis and shard pruning (see shard_pinning.h).
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/hash.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
}

#include "shale/metadata/metadata_cache.h"
#include "shale/planner/shard_pinning.h"

/* Functions that read or change the router's own sequences: never sent to a worker. */
static bool
is_sequence_function(Oid function_id)
{
	return function_id == F_NEXTVAL || function_id == F_CURRVAL || function_id == F_SETVAL_REGCLASS_INT8 ||
		   function_id == F_SETVAL_REGCLASS_INT8_BOOL || function_id == F_LASTVAL;
}

static bool
function_is_pushable(Oid function_id, void *context)
{
	(void) context;
	/* check_functions_in_node stops when this returns true: true means "not pushable" */
	return function_id >= FirstNormalObjectId || is_sequence_function(function_id);
}

static bool
find_unpushable(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, SHALE_WALKER(find_unpushable), context, QTW_EXAMINE_RTES_BEFORE);
	if (check_functions_in_node(node, function_is_pushable, context))
		return true;
	if (IsA(node, NextValueExpr))
		return true;
	if (IsA(node, Const) && ((Const *) node)->consttype >= FirstNormalObjectId)
		return true;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *entry = (RangeTblEntry *) node;
		/* a table the workers do not have */
		if (entry->rtekind == RTE_RELATION && distributed_table_lookup(entry->relid) == NULL)
			return true;
		if (entry->rtekind == RTE_NAMEDTUPLESTORE || entry->tablesample != NULL)
			return true;
		return false;
	}
	return expression_tree_walker(node, SHALE_WALKER(find_unpushable), context);
}

bool
expression_is_pushable(Node *node)
{
	if (node != NULL && IsA(node, Query))
		return !query_tree_walker((Query *) node, SHALE_WALKER(find_unpushable), NULL, QTW_EXAMINE_RTES_BEFORE);
	return !find_unpushable(node, NULL);
}

/* The hash operator family of a distribution column type. */
static Oid
hash_family_of(Oid type_id)
{
	Oid opclass = GetDefaultOpClass(getBaseType(type_id), HASH_AM_OID);
	return OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
}

static Node *
strip_relabel(Node *node)
{
	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

OpExpr *
binary_operation(Node *clause, Node **left, Node **right)
{
	if (!IsA(clause, OpExpr) || list_length(((OpExpr *) clause)->args) != 2)
		return NULL;
	OpExpr *operation = (OpExpr *) clause;
	*left = strip_relabel((Node *) linitial(operation->args));
	*right = strip_relabel((Node *) lsecond(operation->args));
	if (!IsA(*left, Var))
	{
		Node *swap = *left;
		*left = *right;
		*right = swap;
	}
	return operation;
}

/* Whether a value expression fixes a value: a non-null Const or an external Param. */
static bool
is_pin_value(Node *node)
{
	node = strip_relabel(node);
	if (node == NULL)
		return false;
	if (IsA(node, Const))
		return !((Const *) node)->constisnull;
	return IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN;
}

/* Hashes a constant for a table's distribution column (cross-type within the hash family). */
static bool
hash_of_value(const DistributedTable *table, Node *value, ParamListInfo bound_parameters, int64 *hash)
{
	value = strip_relabel(value);
	Oid value_type = exprType(value);
	Datum datum;
	if (IsA(value, Const))
		datum = ((Const *) value)->constvalue;
	else
	{
		Param *parameter = (Param *) value;
		if (bound_parameters == NULL || parameter->paramid < 1 || parameter->paramid > bound_parameters->numParams ||
			bound_parameters->paramFetch != NULL)
			return false;
		ParamExternData *data = &bound_parameters->params[parameter->paramid - 1];
		if (data->isnull || !(data->pflags & PARAM_FLAG_CONST) || data->ptype != value_type)
			return false;
		datum = data->value;
	}
	Oid function_id = get_opfamily_proc(hash_family_of(table->distribution_type), getBaseType(value_type),
										getBaseType(value_type), HASHEXTENDED_PROC);
	if (!OidIsValid(function_id))
		return false;
	*hash = DatumGetInt64(OidFunctionCall2Coll(function_id, table->distribution_collation, datum, Int64GetDatum(0)));
	return true;
}

/* Union-find over the distribution-column Vars of one query level. */
typedef struct PinClass
{
	Index varno;
	int parent; /* index into the class array */
	Node *value;
} PinClass;

static int
find_root(PinClass *classes, int index)
{
	while (classes[index].parent != index)
		index = classes[index].parent = classes[classes[index].parent].parent;
	return index;
}

/* Collects the conjuncts that pin: WHERE and inner join ON clauses. */
static void
collect_conjuncts(Node *jointree_node, List **conjuncts)
{
	if (jointree_node == NULL)
		return;
	if (IsA(jointree_node, FromExpr))
	{
		FromExpr *from = (FromExpr *) jointree_node;
		*conjuncts = list_concat(*conjuncts, make_ands_implicit((Expr *) from->quals));
		ListCell *cell;
		foreach (cell, from->fromlist)
			collect_conjuncts((Node *) lfirst(cell), conjuncts);
	}
	else if (IsA(jointree_node, JoinExpr))
	{
		JoinExpr *join = (JoinExpr *) jointree_node;
		if (join->jointype == JOIN_INNER)
			*conjuncts = list_concat(*conjuncts, make_ands_implicit((Expr *) join->quals));
		collect_conjuncts(join->larg, conjuncts);
		collect_conjuncts(join->rarg, conjuncts);
	}
}

typedef struct PinSearch
{
	ParamListInfo bound_parameters;
	bool failed;
	const char *reason;
	int colocation_id;
	bool has_distributed_table;
	bool have_hash;
	int64 hash;
	int shard_index;
	Param *parameter;
	const DistributedTable *parameter_table;
	Const *pin_const; /* the first constant that pins a distributed table (query insights' tenant) */
} PinSearch;

static void
fail(PinSearch *search, const char *reason)
{
	search->failed = true;
	if (search->reason == NULL)
		search->reason = reason;
}

/* Records one pinned table's value; all values of a statement must agree. */
static void
record_pin(PinSearch *search, const DistributedTable *table, Node *value)
{
	int64 hash;
	if (hash_of_value(table, value, search->bound_parameters, &hash))
	{
		int index = shale_find_range_index(table->ranges, table->shard_count, hash);
		if (search->parameter != NULL || (search->have_hash && index != search->shard_index))
		{
			fail(search, "values pin different shards");
			return;
		}
		search->have_hash = true;
		search->hash = hash;
		search->shard_index = index;
		Node *stripped = strip_relabel(value);
		if (search->pin_const == NULL && table->kind == TABLE_KIND_DISTRIBUTED && IsA(stripped, Const))
			search->pin_const = (Const *) stripped;
		return;
	}
	Node *stripped = strip_relabel(value);
	if (!IsA(stripped, Param))
	{
		fail(search, "unusable pin value");
		return;
	}
	Param *parameter = (Param *) stripped;
	if (search->have_hash || (search->parameter != NULL && search->parameter->paramid != parameter->paramid))
	{
		fail(search, "several parameters pin the statement");
		return;
	}
	search->parameter = parameter;
	search->parameter_table = table;
}

/* Analyses one query level, then its nested queries. */
static bool analyse_level(Node *node, PinSearch *search);

static void
analyse_query(Query *query, PinSearch *search)
{
	int table_count = list_length(query->rtable);
	PinClass *classes = (PinClass *) palloc0(sizeof(PinClass) * (table_count + 1));
	const DistributedTable **tables = (const DistributedTable **) palloc0(sizeof(DistributedTable *) * (table_count + 1));
	for (int i = 0; i < table_count; i++)
	{
		classes[i].parent = i;
		classes[i].varno = i + 1;
		RangeTblEntry *entry = rt_fetch(i + 1, query->rtable);
		if (entry->rtekind != RTE_RELATION)
			continue;
		const DistributedTable *table = distributed_table_lookup(entry->relid);
		if (table == NULL)
		{
			fail(search, "a local table takes part");
			return;
		}
		if (table->kind != TABLE_KIND_DISTRIBUTED)
			continue;
		if (search->colocation_id != 0 && search->colocation_id != table->colocation_id)
		{
			fail(search, "tables are not co-located");
			return;
		}
		search->colocation_id = table->colocation_id;
		search->has_distributed_table = true;
		tables[i] = table;
	}

	List *conjuncts = NIL;
	collect_conjuncts((Node *) query->jointree, &conjuncts);
	ListCell *cell;
	foreach (cell, conjuncts)
	{
		Node *left, *right;
		OpExpr *operation = binary_operation((Node *) lfirst(cell), &left, &right);
		if (operation == NULL || !IsA(left, Var) || ((Var *) left)->varlevelsup != 0)
			continue;
		Var *var = (Var *) left;
		if (var->varno < 1 || (int) var->varno > table_count || tables[var->varno - 1] == NULL ||
			var->varattno != tables[var->varno - 1]->distribution_attnum)
			continue;
		const DistributedTable *table = tables[var->varno - 1];
		if (!op_in_opfamily(operation->opno, hash_family_of(table->distribution_type)))
			continue;
		if (IsA(right, Var))
		{
			Var *other = (Var *) right;
			if (other->varlevelsup != 0 || other->varno < 1 || (int) other->varno > table_count ||
				tables[other->varno - 1] == NULL || other->varattno != tables[other->varno - 1]->distribution_attnum)
				continue;
			int a = find_root(classes, var->varno - 1), b = find_root(classes, other->varno - 1);
			if (a != b)
			{
				if (classes[a].value == NULL)
					classes[a].value = classes[b].value;
				else if (classes[b].value != NULL)
					record_pin(search, table, classes[b].value); /* both sides pinned: they must agree */
				classes[b].parent = a;
			}
		}
		else if (is_pin_value(right))
		{
			int root = find_root(classes, var->varno - 1);
			if (classes[root].value == NULL)
				classes[root].value = right;
			else
				record_pin(search, table, right); /* a second value must agree too */
		}
	}

	for (int i = 0; i < table_count && !search->failed; i++)
	{
		if (tables[i] == NULL)
			continue;
		Node *value = classes[find_root(classes, i)].value;
		if (value == NULL)
		{
			fail(search, "a distributed table is not pinned to one shard");
			return;
		}
		record_pin(search, tables[i], value);
	}
	if (!search->failed)
		query_tree_walker(query, SHALE_WALKER(analyse_level), search, QTW_IGNORE_RANGE_TABLE);
	/* subqueries in FROM are levels too */
	foreach (cell, query->rtable)
	{
		RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);
		if (!search->failed && entry->rtekind == RTE_SUBQUERY)
			analyse_query(entry->subquery, search);
	}
}

static bool
analyse_level(Node *node, PinSearch *search)
{
	if (node == NULL || search->failed)
		return search->failed;
	if (IsA(node, Query))
	{
		analyse_query((Query *) node, search);
		return search->failed;
	}
	return expression_tree_walker(node, SHALE_WALKER(analyse_level), search);
}

RouterPin
analyse_router_pin(Query *query, ParamListInfo bound_parameters)
{
	RouterPin pin;
	memset(&pin, 0, sizeof(pin));
	PinSearch search;
	memset(&search, 0, sizeof(search));
	search.bound_parameters = bound_parameters;

	if (!expression_is_pushable((Node *) query))
	{
		pin.reason = "the statement uses something the workers do not have";
		return pin;
	}
	analyse_query(query, &search);
	if (search.failed)
	{
		pin.reason = search.reason;
		return pin;
	}
	pin.is_router = true;
	pin.has_distributed_table = search.has_distributed_table;
	if (search.parameter != NULL)
	{
		const DistributedTable *table = search.parameter_table;
		Oid value_type = getBaseType(search.parameter->paramtype);
		pin.pin_parameter = search.parameter;
		pin.pin_hash_function =
			get_opfamily_proc(hash_family_of(table->distribution_type), value_type, value_type, HASHEXTENDED_PROC);
		pin.pin_collation = table->distribution_collation;
		if (!OidIsValid(pin.pin_hash_function))
		{
			pin.is_router = false;
			pin.reason = "no hash function for the parameter's type";
		}
	}
	else
	{
		pin.pin_known = true;
		pin.pin_hash = search.hash; /* 0 for reference tables only */
		pin.pin_const = search.pin_const;
	}
	return pin;
}

List *
prune_shards(const DistributedTable *table, Index relid, List *clauses, ParamListInfo bound_parameters, bool *no_shard)
{
	*no_shard = false;
	if (table->kind != TABLE_KIND_DISTRIBUTED)
		return NIL;
	Oid family = hash_family_of(table->distribution_type);
	ListCell *cell;
	foreach (cell, clauses)
	{
		Node *clause = (Node *) lfirst(cell);
		Node *left, *right;
		OpExpr *operation = binary_operation(clause, &left, &right);
		if (operation != NULL)
		{
			if (!IsA(left, Var) || ((Var *) left)->varno != (int) relid || ((Var *) left)->varattno != table->distribution_attnum ||
				!op_in_opfamily(operation->opno, family))
				continue;
			if (IsA(right, Const) && ((Const *) right)->constisnull)
			{
				*no_shard = true; /* key = NULL is never true */
				return NIL;
			}
			int64 hash;
			if (is_pin_value(right) && hash_of_value(table, right, bound_parameters, &hash))
			{
				int64 *shard_id = (int64 *) palloc(sizeof(int64));
				*shard_id = shard_for_hash(table, hash)->shard_id;
				return list_make1(shard_id);
			}
		}
		else if (IsA(clause, ScalarArrayOpExpr))
		{
			/* key IN (constants) */
			ScalarArrayOpExpr *in_list = (ScalarArrayOpExpr *) clause;
			Node *left = strip_relabel((Node *) linitial(in_list->args));
			Node *right = strip_relabel((Node *) lsecond(in_list->args));
			if (!in_list->useOr || !IsA(left, Var) || ((Var *) left)->varno != (int) relid ||
				((Var *) left)->varattno != table->distribution_attnum || !op_in_opfamily(in_list->opno, family) ||
				!IsA(right, Const) || ((Const *) right)->constisnull)
				continue;
			Const *array_constant = (Const *) right;
			ArrayType *array = DatumGetArrayTypeP(array_constant->constvalue);
			Oid element_type = ARR_ELEMTYPE(array);
			int16 element_length;
			bool element_by_value;
			char element_align;
			get_typlenbyvalalign(element_type, &element_length, &element_by_value, &element_align);
			Datum *elements;
			bool *nulls;
			int count;
			deconstruct_array(array, element_type, element_length, element_by_value, element_align, &elements, &nulls,
							  &count);
			Oid function_id = get_opfamily_proc(family, getBaseType(element_type), getBaseType(element_type), HASHEXTENDED_PROC);
			if (!OidIsValid(function_id))
				continue;
			List *shard_ids = NIL;
			for (int i = 0; i < count; i++)
			{
				if (nulls[i])
					continue;
				int64 hash = DatumGetInt64(
					OidFunctionCall2Coll(function_id, table->distribution_collation, elements[i], Int64GetDatum(0)));
				int64 shard_id = shard_for_hash(table, hash)->shard_id;
				bool seen = false;
				ListCell *other;
				foreach (other, shard_ids)
					seen |= *(int64 *) lfirst(other) == shard_id;
				if (!seen)
				{
					int64 *copy = (int64 *) palloc(sizeof(int64));
					*copy = shard_id;
					shard_ids = lappend(shard_ids, copy);
				}
			}
			if (shard_ids == NIL)
			{
				*no_shard = true;
				return NIL;
			}
			return shard_ids;
		}
	}
	return NIL;
}

/* A distribution-column Var at some query level, for the co-location analysis. */
typedef struct ColocatedVar
{
	int level;	/* id of the query level that owns the Var's range table */
	Index varno;
	int parent; /* union-find */
} ColocatedVar;

typedef struct ColocationSearch
{
	List *vars;		  /* ColocatedVar *, in order of discovery */
	List *level_stack; /* level ids, innermost last */
	int next_level;
	int colocation_id;
	bool failed;
	int target_index; /* index of the target's Var in vars */
	List *table_vars; /* indexes (IntList) of every distributed table's Var */
	List *done;		  /* Query nodes already analysed */
} ColocationSearch;

static int
colocated_root(ColocationSearch *search, int index)
{
	ColocatedVar *var = (ColocatedVar *) list_nth(search->vars, index);
	while (var->parent != index)
	{
		index = var->parent;
		var = (ColocatedVar *) list_nth(search->vars, index);
	}
	return index;
}

/* The index of the entry for (level, varno), added when new. */
static int
colocated_var_index(ColocationSearch *search, int level, Index varno)
{
	int index = 0;
	ListCell *cell;
	foreach (cell, search->vars)
	{
		ColocatedVar *var = (ColocatedVar *) lfirst(cell);
		if (var->level == level && var->varno == varno)
			return index;
		index++;
	}
	ColocatedVar *var = (ColocatedVar *) palloc0(sizeof(ColocatedVar));
	var->level = level;
	var->varno = varno;
	var->parent = list_length(search->vars);
	search->vars = lappend(search->vars, var);
	return var->parent;
}

static bool colocation_walk(Node *node, ColocationSearch *search);

/* The distributed table a Var's range table entry is, given the query levels above. */
static const DistributedTable *
table_of_var(List *queries, Var *var)
{
	if ((int) var->varlevelsup >= list_length(queries))
		return NULL;
	Query *query = (Query *) list_nth(queries, list_length(queries) - 1 - var->varlevelsup);
	if (var->varno < 1 || (int) var->varno > list_length(query->rtable))
		return NULL;
	RangeTblEntry *entry = rt_fetch(var->varno, query->rtable);
	if (entry->rtekind != RTE_RELATION)
		return NULL;
	const DistributedTable *table = distributed_table_lookup(entry->relid);
	if (table == NULL || table->kind != TABLE_KIND_DISTRIBUTED || var->varattno != table->distribution_attnum)
		return NULL;
	return table;
}

static List *colocation_queries = NIL; /* the query levels being walked, outermost first */

static void
colocation_query(Query *query, ColocationSearch *search)
{
	if (list_member_ptr(search->done, query))
		return;
	search->done = lappend(search->done, query);
	int level = search->next_level++;
	colocation_queries = lappend(colocation_queries, query);
	search->level_stack = lappend_int(search->level_stack, level);

	int index = 0;
	ListCell *cell;
	foreach (cell, query->rtable)
	{
		index++;
		RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);
		if (entry->rtekind != RTE_RELATION)
			continue;
		const DistributedTable *table = distributed_table_lookup(entry->relid);
		if (table == NULL || table->kind != TABLE_KIND_DISTRIBUTED)
			continue;
		if (search->colocation_id != 0 && table->colocation_id != search->colocation_id)
		{
			search->failed = true;
			break;
		}
		search->colocation_id = table->colocation_id;
		search->table_vars = lappend_int(search->table_vars, colocated_var_index(search, level, index));
	}

	List *conjuncts = NIL;
	collect_conjuncts((Node *) query->jointree, &conjuncts);
	foreach (cell, conjuncts)
	{
		Node *clause = (Node *) lfirst(cell);
		/* key IN (SELECT other_key FROM …): the subquery's output column pairs with the key */
		if (IsA(clause, SubLink) && ((SubLink *) clause)->subLinkType == ANY_SUBLINK)
		{
			SubLink *sublink = (SubLink *) clause;
			Query *subquery = (Query *) sublink->subselect;
			Node *test = sublink->testexpr;
			if (test == NULL || !IsA(test, OpExpr) || list_length(((OpExpr *) test)->args) != 2 ||
				list_length(subquery->targetList) != 1)
				continue;
			Node *outer = strip_relabel((Node *) linitial(((OpExpr *) test)->args));
			Node *inner = strip_relabel((Node *) ((TargetEntry *) linitial(subquery->targetList))->expr);
			if (!IsA(outer, Var) || !IsA(inner, Var) || ((Var *) inner)->varlevelsup != 0)
				continue;
			const DistributedTable *outer_table = table_of_var(colocation_queries, (Var *) outer);
			if (outer_table == NULL || !op_in_opfamily(((OpExpr *) test)->opno, hash_family_of(outer_table->distribution_type)))
				continue;
			int sub_level = search->next_level;
			colocation_query(subquery, search);
			colocation_queries = lappend(colocation_queries, subquery); /* to resolve the inner Var */
			const DistributedTable *inner_table = table_of_var(colocation_queries, (Var *) inner);
			colocation_queries = list_delete_last(colocation_queries);
			if (inner_table == NULL)
				continue;
			int outer_level =
				list_nth_int(search->level_stack, list_length(search->level_stack) - 1 - ((Var *) outer)->varlevelsup);
			int a = colocated_root(search, colocated_var_index(search, outer_level, ((Var *) outer)->varno));
			int b = colocated_root(search, colocated_var_index(search, sub_level, ((Var *) inner)->varno));
			if (a != b)
				((ColocatedVar *) list_nth(search->vars, b))->parent = a;
			continue;
		}
		Node *left, *right;
		OpExpr *operation = binary_operation(clause, &left, &right);
		if (operation == NULL || !IsA(left, Var) || !IsA(right, Var))
			continue;
		const DistributedTable *left_table = table_of_var(colocation_queries, (Var *) left);
		const DistributedTable *right_table = table_of_var(colocation_queries, (Var *) right);
		if (left_table == NULL || right_table == NULL ||
			!op_in_opfamily(operation->opno, hash_family_of(left_table->distribution_type)))
			continue;
		int left_level = list_nth_int(search->level_stack, list_length(search->level_stack) - 1 - ((Var *) left)->varlevelsup);
		int right_level = list_nth_int(search->level_stack, list_length(search->level_stack) - 1 - ((Var *) right)->varlevelsup);
		int a = colocated_root(search, colocated_var_index(search, left_level, ((Var *) left)->varno));
		int b = colocated_root(search, colocated_var_index(search, right_level, ((Var *) right)->varno));
		if (a != b)
			((ColocatedVar *) list_nth(search->vars, b))->parent = a;
	}

	if (!search->failed)
	{
		query_tree_walker(query, SHALE_WALKER(colocation_walk), search, QTW_IGNORE_RANGE_TABLE);
		foreach (cell, query->rtable)
		{
			RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);
			if (entry->rtekind == RTE_SUBQUERY && !search->failed)
				colocation_query(entry->subquery, search);
		}
	}
	search->level_stack = list_delete_last(search->level_stack);
	colocation_queries = list_delete_last(colocation_queries);
}

static bool
colocation_walk(Node *node, ColocationSearch *search)
{
	if (node == NULL || search->failed)
		return search->failed;
	if (IsA(node, Query))
	{
		colocation_query((Query *) node, search);
		return search->failed;
	}
	return expression_tree_walker(node, SHALE_WALKER(colocation_walk), search);
}

bool
statement_is_colocated_on(Query *query, Index target_relation)
{
	ColocationSearch search;
	memset(&search, 0, sizeof(search));
	colocation_queries = NIL;
	search.target_index = colocated_var_index(&search, 0, target_relation);
	colocation_query(query, &search);
	colocation_queries = NIL;
	if (search.failed)
		return false;
	int target_root = colocated_root(&search, search.target_index);
	ListCell *cell;
	foreach (cell, search.table_vars)
		if (colocated_root(&search, lfirst_int(cell)) != target_root)
			return false;
	return true;
}
