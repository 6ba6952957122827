/*
 * remote_scan.cpp — executes remote CustomScans: builds the tasks (one SQL
 * statement for one worker group), sends them to all groups at once, and
 * turns the rows that come back into tuples.
 *
 * Rows arrive one at a time (libpq's single-row mode) and go at once into a
 * tuplestore of the query: memory stays within work_mem (past it the rows
 * spill to a temporary file), and an error or a cancel frees them with the
 * query. Every row is received before the first tuple is returned, so a
 * connection is never left half-read while another node of the same plan
 * needs it (a nested loop over two distributed scans on one group).
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/readfuncs.h"
#include "miscadmin.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "nodes/nodeFuncs.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
}

#include "shale/connection/worker_connection.h"
#include "shale/executor/remote_insert.h"
#include "shale/executor/remote_scan.h"
#include "shale/insights/query_stats.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/planner/query_deparse.h"
#include "shale/transaction/remote_transaction.h"

/* One statement for one worker group. */
typedef struct RemoteTask
{
	int group_id;
	char *sql;
	WorkerConnection *connection;
} RemoteTask;

typedef struct RemoteScanState
{
	CustomScanState css;
	RemotePlan plan;
	ExprState *pin_state;
	bool executed;
	List *tasks;
	Tuplestorestate *rows;	   /* the rows received, in scan-slot layout */
	TupleTableSlot *stored_row; /* reads rows back from the tuplestore (minimal tuples) */
	MemoryContext row_context; /* memory of one row's conversion, reset per row */
	Datum *row_values;		   /* per scan-slot column, for the row being converted */
	bool *row_nulls;
	FmgrInfo *input_functions; /* per result column */
	Oid *input_parameters;
	int32 *input_typmods;
	int *target_attnos;		   /* per result column: attno in the scan slot (1-based) */
	int result_columns;
	PlanState *insert_source; /* INSERT: the plan that computes the rows */
	uint64 rows_received;	  /* rows the workers sent (query insights) */
	bool pin_value_known;	  /* ROUTER with a parameter pin: its value, for query insights' tenant */
	Datum pin_value;
} RemoteScanState;

static CustomScanMethods remote_scan_methods;
static CustomExecMethods remote_exec_methods;

/* Plan (de)serialisation ------------------------------------------------- */

CustomScan *
make_remote_scan(const RemotePlan *plan)
{
	CustomScan *scan = makeNode(CustomScan);
	scan->methods = &remote_scan_methods;
	char hash_text[32];
	snprintf(hash_text, sizeof(hash_text), INT64_FORMAT, plan->pin_hash);
	scan->custom_private = list_make5(makeInteger(plan->mode), makeInteger(plan->flags), plan->shard_template,
									  plan->result_attnos, list_make1_oid(plan->table_id));
	scan->custom_private = lappend(scan->custom_private, makeString(pstrdup(plan->pin_known ? hash_text : "")));
	scan->custom_private = lappend(scan->custom_private, list_make2_oid(plan->pin_hash_function, plan->pin_collation));
	List *pruned = NIL;
	ListCell *cell;
	foreach (cell, plan->pruned_shard_ids)
		pruned = lappend(pruned, makeString(psprintf(INT64_FORMAT, *(int64 *) lfirst(cell))));
	scan->custom_private = lappend(scan->custom_private, pruned);
	scan->custom_private = lappend(scan->custom_private, plan->insert_info);
	scan->custom_private = lappend(scan->custom_private, plan->pin_const);
	return scan;
}

RemotePlan
remote_plan_from(const CustomScan *scan)
{
	RemotePlan plan;
	memset(&plan, 0, sizeof(plan));
	List *items = scan->custom_private;
	plan.mode = (RemoteMode) intVal(list_nth(items, 0));
	plan.flags = intVal(list_nth(items, 1));
	plan.shard_template = (List *) list_nth(items, 2);
	plan.result_attnos = (List *) list_nth(items, 3);
	plan.table_id = linitial_oid((List *) list_nth(items, 4));
	const char *hash_text = strVal(list_nth(items, 5));
	plan.pin_known = hash_text[0] != '\0';
	if (plan.pin_known)
		plan.pin_hash = strtoll(hash_text, NULL, 10);
	plan.pin_hash_function = linitial_oid((List *) list_nth(items, 6));
	plan.pin_collation = lsecond_oid((List *) list_nth(items, 6));
	ListCell *cell;
	foreach (cell, (List *) list_nth(items, 7))
	{
		int64 *shard_id = (int64 *) palloc(sizeof(int64));
		*shard_id = strtoll(strVal(lfirst(cell)), NULL, 10);
		plan.pruned_shard_ids = lappend(plan.pruned_shard_ids, shard_id);
	}
	plan.insert_info = (List *) list_nth(items, 8);
	plan.pin_const = (Const *) list_nth(items, 9);
	return plan;
}

bool
is_remote_scan(Plan *plan)
{
	return plan != NULL && IsA(plan, CustomScan) && ((CustomScan *) plan)->methods == &remote_scan_methods;
}

/* Parameters ------------------------------------------------------------- */

/* The statement's parameters in text form, as libpq sends them. */
void
parameters_as_text(ParamListInfo parameters, int *count, Oid **types, const char ***values)
{
	*count = parameters != NULL ? parameters->numParams : 0;
	*types = (Oid *) palloc0(sizeof(Oid) * (*count + 1));
	*values = (const char **) palloc0(sizeof(char *) * (*count + 1));
	for (int i = 0; i < *count; i++)
	{
		ParamExternData workspace;
		ParamExternData *parameter = parameters->paramFetch != NULL
										 ? parameters->paramFetch(parameters, i + 1, false, &workspace)
										 : &parameters->params[i];
		/* types the workers also have are passed; others are left to inference */
		(*types)[i] = parameter->ptype < FirstNormalObjectId ? parameter->ptype : InvalidOid;
		if (parameter->isnull || !OidIsValid(parameter->ptype))
			continue;
		Oid output_function;
		bool is_varlena;
		getTypeOutputInfo(parameter->ptype, &output_function, &is_varlena);
		(*values)[i] = OidOutputFunctionCall(output_function, parameter->value);
	}
}

/* Tasks ------------------------------------------------------------------ */

static RemoteTask *
make_task(int group_id, char *sql)
{
	RemoteTask *task = (RemoteTask *) palloc0(sizeof(RemoteTask));
	task->group_id = group_id;
	task->sql = sql;
	return task;
}

/* The hash that pins a router statement: known at plan time or from a parameter. */
static bool
router_pin_hash(RemoteScanState *state, int64 *hash)
{
	if (state->plan.pin_known)
	{
		*hash = state->plan.pin_hash;
		return true;
	}
	if (state->pin_state == NULL)
	{
		*hash = 0; /* reference tables only: any hash works */
		return true;
	}
	bool is_null;
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	Datum value = ExecEvalExpr(state->pin_state, econtext, &is_null);
	if (is_null)
	{
		/* "key = NULL" matches no row on any shard, but the statement must still run
		 * (an aggregate over no rows still returns one): any shard will do */
		*hash = 0;
		return true;
	}
	FmgrInfo hash_function;
	fmgr_info(state->plan.pin_hash_function, &hash_function);
	*hash = DatumGetInt64(FunctionCall2Coll(&hash_function, state->plan.pin_collation, value, Int64GetDatum(0)));
	state->pin_value = value;
	state->pin_value_known = true;
	return true;
}

/* The first distributed (not reference) table of a template, or the first table. */
static const DistributedTable *
placement_table(List *template_list)
{
	const DistributedTable *first = NULL;
	ListCell *cell;
	foreach (cell, shard_query_tables(template_list))
	{
		const DistributedTable *table = distributed_table_lookup(lfirst_oid(cell));
		if (table == NULL)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							errmsg("a table of this statement is no longer distributed"), errhint("Run it again.")));
		if (table->kind == TABLE_KIND_DISTRIBUTED)
			return table;
		if (first == NULL)
			first = table;
	}
	return first;
}

/* Tells query insights which tenant a router statement ran for. */
static void
note_tenant(RemoteScanState *state, const DistributedTable *table, int64 hash)
{
	if (!current_statement_notes.active || current_statement_notes.has_tenant)
		return;
	const Const *pin_const = state->plan.pin_const;
	if (pin_const != NULL && !pin_const->constisnull)
		query_stats_note_tenant(table->table_id, hash, NULL, pin_const->constvalue, pin_const->consttype);
	else if (state->pin_value_known && state->pin_state != NULL)
	{
		/* the value lives in per-tuple memory: copy it for the end of the statement */
		Oid type = exprType((Node *) state->pin_state->expr);
		int16 length;
		bool by_value;
		get_typlenbyval(type, &length, &by_value);
		MemoryContext previous = MemoryContextSwitchTo(state->css.ss.ps.state->es_query_cxt);
		Datum value = datumCopy(state->pin_value, by_value, length);
		MemoryContextSwitchTo(previous);
		query_stats_note_tenant(table->table_id, hash, NULL, value, type);
	}
}

static List *
router_tasks(RemoteScanState *state)
{
	int64 hash;
	if (!router_pin_hash(state, &hash))
		return NIL;
	const DistributedTable *table = placement_table(state->plan.shard_template);
	const ShardEntry *shard = table->kind == TABLE_KIND_REFERENCE ? &table->shards[0] : shard_for_hash(table, hash);
	if (table->kind == TABLE_KIND_DISTRIBUTED)
		note_tenant(state, table, hash);
	char *sql = shard_query_for_hash(state->plan.shard_template, hash);
	List *tasks = NIL;
	if (state->plan.flags & REMOTE_ALL_PLACEMENTS)
	{
		for (int p = 0; p < shard->placement_count; p++)
			tasks = lappend(tasks, make_task(shard->placement_group_ids[p], sql));
	}
	else
		tasks = list_make1(make_task(shard->placement_group_ids[0], sql));
	return tasks;
}

/* Whether a shard id is in the pruned list (NIL = every shard). */
static bool
shard_survives_pruning(List *pruned_shard_ids, int64 shard_id)
{
	if (pruned_shard_ids == NIL)
		return true;
	ListCell *cell;
	foreach (cell, pruned_shard_ids)
		if (*(int64 *) lfirst(cell) == shard_id)
			return true;
	return false;
}

/*
 * every_shard_tasks makes one task per shard for writes and row locks, and one per group for
 * reads: a read of one table covers all the group's shards in one statement
 * (the table becomes a UNION ALL of its shards), others join per-shard
 * statements with UNION ALL.
 */
static List *
every_shard_tasks(RemoteScanState *state)
{
	const DistributedTable *table = distributed_table_lookup(state->plan.table_id);
	if (table == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("table \"%s\" is no longer distributed", get_rel_name(state->plan.table_id)),
						errhint("Run the statement again.")));
	/* writes and row locks go shard by shard: FOR UPDATE cannot lock through a UNION ALL of shards */
	bool writes = (state->plan.flags & (REMOTE_WRITES | REMOTE_LOCKS_ROWS)) != 0;
	List *tasks = NIL;
	List *group_shards = NIL; /* for reads: per task, the shard ids (List of int64 *) */
	for (int s = 0; s < table->shard_count; s++)
	{
		const ShardEntry *shard = &table->shards[s];
		if (!shard_survives_pruning(state->plan.pruned_shard_ids, shard->shard_id))
			continue;
		int placements = (state->plan.flags & REMOTE_ALL_PLACEMENTS) ? shard->placement_count : 1;
		for (int p = 0; p < placements; p++)
		{
			int group_id = shard->placement_group_ids[p];
			int existing = -1;
			if (!writes)
			{
				int index = 0;
				ListCell *cell;
				foreach (cell, tasks)
				{
					if (((RemoteTask *) lfirst(cell))->group_id == group_id)
						existing = index;
					index++;
				}
			}
			int64 *shard_id = (int64 *) palloc(sizeof(int64));
			*shard_id = shard->shard_id;
			if (existing >= 0)
			{
				ListCell *shards_cell = list_nth_cell(group_shards, existing);
				lfirst(shards_cell) = lappend((List *) lfirst(shards_cell), shard_id);
				continue;
			}
			tasks = lappend(tasks, make_task(group_id, shard_query_for_hash(state->plan.shard_template, shard->hash_min)));
			group_shards = lappend(group_shards, list_make1(shard_id));
		}
	}
	if (writes)
		return tasks;
	/* reads: one statement per group over all its shards */
	ListCell *task_cell, *shards_cell;
	forboth(task_cell, tasks, shards_cell, group_shards)
	{
		List *shard_ids = (List *) lfirst(shards_cell);
		if (list_length(shard_ids) == 1)
			continue;
		RemoteTask *task = (RemoteTask *) lfirst(task_cell);
		char *combined = shard_query_for_shard_set(state->plan.shard_template, shard_ids);
		if (combined == NULL)
		{
			/* several tables: per-shard statements joined by UNION ALL */
			StringInfoData sql;
			initStringInfo(&sql);
			ListCell *cell;
			foreach (cell, shard_ids)
			{
				const ShardEntry *shard = NULL;
				for (int s = 0; s < table->shard_count; s++)
					if (table->shards[s].shard_id == *(int64 *) lfirst(cell))
						shard = &table->shards[s];
				appendStringInfo(&sql, "%s%s", cell == list_head(shard_ids) ? "" : " UNION ALL ",
								 shard_query_for_hash(state->plan.shard_template, shard->hash_min));
			}
			combined = sql.data;
		}
		task->sql = combined;
	}
	return tasks;
}

/* Execution -------------------------------------------------------------- */

/*
 * store_rows converts the rows of one worker result (one row when streamed)
 * from text into the scan slot's types and appends them to the tuplestore.
 */
static void
store_rows(PGresult *result, void *context)
{
	RemoteScanState *state = (RemoteScanState *) context;
	if (PQnfields(result) != state->result_columns)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("a worker returned %d columns where %d were expected", PQnfields(result),
							   state->result_columns),
						errhint("A shard's columns differ from its table's on the router; change tables "
								"through the router only.")));
	TupleDesc descriptor = state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	int rows = PQntuples(result);
	state->rows_received += rows;
	for (int row = 0; row < rows; row++)
	{
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(state->row_context);
		MemoryContext previous = MemoryContextSwitchTo(state->row_context);
		memset(state->row_nulls, true, sizeof(bool) * descriptor->natts);
		for (int c = 0; c < state->result_columns; c++)
		{
			if (PQgetisnull(result, row, c))
				continue;
			int index = state->target_attnos[c] - 1;
			state->row_values[index] = InputFunctionCall(&state->input_functions[c], PQgetvalue(result, row, c),
														 state->input_parameters[c], state->input_typmods[c]);
			state->row_nulls[index] = false;
		}
		MemoryContextSwitchTo(previous);
		tuplestore_putvalues(state->rows, descriptor, state->row_values, state->row_nulls);
	}
}

/* Number of distinct groups among tasks. */
static int
distinct_groups(List *tasks)
{
	List *group_ids = NIL;
	ListCell *cell;
	foreach (cell, tasks)
		group_ids = list_append_unique_int(group_ids, ((RemoteTask *) lfirst(cell))->group_id);
	return list_length(group_ids);
}

/*
 * run_tasks sends every task and collects the results. Tasks of different
 * groups run at the same time; tasks of one group follow each other.
 */
static void
run_tasks(RemoteScanState *state, List *tasks)
{
	EState *estate = state->css.ss.ps.state;
	bool writes = (state->plan.flags & REMOTE_WRITES) != 0;
	bool returns_rows = (state->plan.flags & REMOTE_RETURNS_ROWS) != 0;
	int parameter_count;
	Oid *parameter_types;
	const char **parameter_values;
	parameters_as_text(estate->es_param_list_info, &parameter_count, &parameter_types, &parameter_values);

	/* a write to several groups, or inside a transaction, runs in a distributed transaction */
	bool in_transaction = writes && (remote_statement_needs_transaction() || distinct_groups(tasks) > 1);
	/* a REPEATABLE READ transaction reads every group through its own transaction: one snapshot per group */
	if (!writes && IsTransactionBlock() && IsolationUsesXactSnapshot())
		in_transaction = true;
	/* row locks live as long as the worker's transaction: it must be the distributed one */
	if (state->plan.flags & REMOTE_LOCKS_ROWS)
		in_transaction = true;
	ListCell *cell;
	foreach (cell, tasks)
	{
		RemoteTask *task = (RemoteTask *) lfirst(cell);
		task->connection = in_transaction ? remote_transaction_connection(task->group_id, writes)
										  : statement_connection(task->group_id);
		if (writes && task->connection->in_transaction)
			task->connection->wrote = true;
	}

	if (tasks == NIL)
		return;
	int counting_group = ((RemoteTask *) linitial(tasks))->group_id;
	/* a write to every placement returns the same rows and count from each: keep one */
#define TASK_COUNTED(task) (!(state->plan.flags & REMOTE_ALL_PLACEMENTS) || (task)->group_id == counting_group)

	/* rounds: in each, every connection with work left gets its next task */
	List *pending = list_copy(tasks);
	while (pending != NIL)
	{
		List *sent = NIL;
		List *later = NIL;
		foreach (cell, pending)
		{
			RemoteTask *task = (RemoteTask *) lfirst(cell);
			bool connection_taken = false;
			ListCell *other;
			foreach (other, sent)
				connection_taken |= ((RemoteTask *) lfirst(other))->connection == task->connection;
			if (connection_taken)
			{
				later = lappend(later, task);
				continue;
			}
			worker_connection_prepare_statement(task->connection);
			/* statements with parameters come again (prepared statements): prepare them on the worker */
			if (parameter_count > 0)
				worker_connection_send_prepared(task->connection, task->sql, parameter_count, parameter_types,
												parameter_values);
			else
				worker_connection_send_with_parameters(task->connection, task->sql, parameter_count, parameter_types,
													   parameter_values);
			if (returns_rows && TASK_COUNTED(task))
				worker_connection_stream_rows(task->connection);
			sent = lappend(sent, task);
		}
		/* results in the order they arrive: a failure anywhere stops the statement at once */
		List *waiting = sent;
		while (waiting != NIL)
		{
			List *connections = NIL;
			foreach (cell, waiting)
				connections = lappend(connections, ((RemoteTask *) lfirst(cell))->connection);
			WorkerConnection *ready = worker_connection_wait_for_any(connections);
			RemoteTask *task = NULL;
			foreach (cell, waiting)
				if (((RemoteTask *) lfirst(cell))->connection == ready)
					task = (RemoteTask *) lfirst(cell);
			waiting = list_delete_ptr(waiting, task);
			bool counted = TASK_COUNTED(task);
			PGresult *result = counted && returns_rows
								   ? worker_connection_receive_rows(task->connection, store_rows, state)
								   : worker_connection_receive(task->connection);
			if (result == NULL)
				continue;
			if (writes && counted)
				estate->es_processed += strtoull(PQcmdTuples(result), NULL, 10);
			PQclear(result);
		}
		pending = later;
	}
#undef TASK_COUNTED
}

/* Prepares per-column input functions for the scan slot's layout. */
static void
prepare_conversion(RemoteScanState *state)
{
	TupleDesc descriptor = state->css.ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	/* a scan of a table fills the listed columns (maybe none); a statement fills its whole output */
	bool table_scan = ((Scan *) state->css.ss.ps.plan)->scanrelid > 0;
	int columns = table_scan ? list_length(state->plan.result_attnos) : descriptor->natts;
	state->result_columns = columns;
	state->input_functions = (FmgrInfo *) palloc0(sizeof(FmgrInfo) * (columns + 1));
	state->input_parameters = (Oid *) palloc0(sizeof(Oid) * (columns + 1));
	state->input_typmods = (int32 *) palloc0(sizeof(int32) * (columns + 1));
	state->target_attnos = (int *) palloc0(sizeof(int) * (columns + 1));
	for (int c = 0; c < columns; c++)
	{
		int attno = table_scan ? list_nth_int(state->plan.result_attnos, c) : c + 1;
		Form_pg_attribute attribute = TupleDescAttr(descriptor, attno - 1);
		Oid input_function;
		getTypeInputInfo(attribute->atttypid, &input_function, &state->input_parameters[c]);
		fmgr_info(input_function, &state->input_functions[c]);
		state->input_typmods[c] = attribute->atttypmod;
		state->target_attnos[c] = attno;
	}
}

/* remote_next puts the next stored row in the scan slot (its values stay in the tuplestore's slot). */
static TupleTableSlot *
remote_next(ScanState *scan_state)
{
	RemoteScanState *state = (RemoteScanState *) scan_state;
	TupleTableSlot *slot = scan_state->ss_ScanTupleSlot;
	ExecClearTuple(slot);
	if (!tuplestore_gettupleslot(state->rows, true, false, state->stored_row))
		return slot;
	slot_getallattrs(state->stored_row);
	int columns = slot->tts_tupleDescriptor->natts;
	memcpy(slot->tts_values, state->stored_row->tts_values, sizeof(Datum) * columns);
	memcpy(slot->tts_isnull, state->stored_row->tts_isnull, sizeof(bool) * columns);
	return ExecStoreVirtualTuple(slot);
}

static bool
remote_recheck(ScanState *scan_state, TupleTableSlot *slot)
{
	(void) scan_state;
	(void) slot;
	return true;
}

static Node *
create_remote_scan_state(CustomScan *scan)
{
	RemoteScanState *state = (RemoteScanState *) newNode(sizeof(RemoteScanState), T_CustomScanState);
	state->css.methods = &remote_exec_methods;
	state->plan = remote_plan_from(scan);
	return (Node *) state;
}

static void
begin_remote_scan(CustomScanState *node, EState *estate, int eflags)
{
	RemoteScanState *state = (RemoteScanState *) node;
	CustomScan *scan = (CustomScan *) node->ss.ps.plan;
	if (scan->custom_exprs != NIL)
		state->pin_state = ExecInitExpr((Expr *) linitial(scan->custom_exprs), &node->ss.ps);
	if (state->plan.mode == REMOTE_INSERT)
	{
		state->insert_source = ExecInitNode((Plan *) linitial(scan->custom_plans), estate, eflags);
		node->custom_ps = list_make1(state->insert_source);
	}
	if (state->plan.flags & REMOTE_RETURNS_ROWS)
	{
		prepare_conversion(state);
		TupleDesc descriptor = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
		state->rows = tuplestore_begin_heap(false, false, work_mem);
		state->stored_row = MakeSingleTupleTableSlot(descriptor, &TTSOpsMinimalTuple);
		state->row_context = AllocSetContextCreate(CurrentMemoryContext, "shale remote row", ALLOCSET_SMALL_SIZES);
		state->row_values = (Datum *) palloc0(sizeof(Datum) * (descriptor->natts + 1));
		state->row_nulls = (bool *) palloc0(sizeof(bool) * (descriptor->natts + 1));
	}
}

static TupleTableSlot *
exec_remote_scan(CustomScanState *node)
{
	RemoteScanState *state = (RemoteScanState *) node;
	if (!state->executed)
	{
		state->executed = true;
		if (state->plan.mode == REMOTE_INSERT)
			run_remote_insert(node, &state->plan, state->insert_source,
							  (state->plan.flags & REMOTE_RETURNS_ROWS) ? store_rows : NULL, state);
		else
		{
			List *tasks = state->plan.mode == REMOTE_ROUTER ? router_tasks(state) : every_shard_tasks(state);
			run_tasks(state, tasks);
			/* a router statement is one shard, whatever its placements; else one task per shard */
			query_stats_note_tasks(state->plan.mode == REMOTE_ROUTER ? 1 : list_length(tasks), state->rows_received);
		}
	}
	if (!(state->plan.flags & REMOTE_RETURNS_ROWS))
		return NULL;
	return ExecScan(&node->ss, (ExecScanAccessMtd) remote_next, (ExecScanRecheckMtd) remote_recheck);
}

static void
end_remote_scan(CustomScanState *node)
{
	RemoteScanState *state = (RemoteScanState *) node;
	if (state->rows != NULL)
		tuplestore_end(state->rows);
	state->rows = NULL;
	if (state->stored_row != NULL)
		ExecDropSingleTupleTableSlot(state->stored_row);
	state->stored_row = NULL;
	if (state->insert_source != NULL)
		ExecEndNode(state->insert_source);
}

static void
rescan_remote_scan(CustomScanState *node)
{
	RemoteScanState *state = (RemoteScanState *) node;
	/* results depend on nothing a rescan changes: read them again from the start */
	if (state->rows != NULL)
		tuplestore_rescan(state->rows);
}

/* explain_remote_scan shows which shards and nodes the statement visits, and its SQL. */
static void
explain_remote_scan(CustomScanState *node, List *ancestors, ExplainState *es)
{
	(void) ancestors;
	RemoteScanState *state = (RemoteScanState *) node;
	const char *mode = state->plan.mode == REMOTE_ROUTER ? "router (one shard)"
					   : state->plan.mode == REMOTE_INSERT ? "insert (rows routed to their shards)"
														   : "every shard";
	ExplainPropertyText("Distributed", mode, es);
	if (state->plan.mode == REMOTE_EVERY_SHARD)
	{
		const DistributedTable *table = distributed_table_lookup(state->plan.table_id);
		int visited = 0;
		for (int s = 0; table != NULL && s < table->shard_count; s++)
			visited += shard_survives_pruning(state->plan.pruned_shard_ids, table->shards[s].shard_id);
		ExplainPropertyInteger("Shards", NULL, visited, es);
	}
	if (state->plan.mode == REMOTE_ROUTER && state->plan.pin_known)
	{
		const DistributedTable *table = placement_table(state->plan.shard_template);
		const ShardEntry *shard =
			table->kind == TABLE_KIND_REFERENCE ? &table->shards[0] : shard_for_hash(table, state->plan.pin_hash);
		const GroupEntry *group = group_lookup(shard->placement_group_ids[0]);
		ExplainPropertyInteger("Shard", NULL, shard->shard_id, es);
		if (group != NULL && group->primary != NULL)
			ExplainPropertyText("Node", psprintf("%s:%d (group %d)", group->primary->host, group->primary->port,
												 group->group_id),
								es);
	}
	if (state->plan.shard_template != NIL)
		ExplainPropertyText("Shard SQL", shard_query_text(state->plan.shard_template), es);
}

void
remote_scan_init(void)
{
	memset(&remote_scan_methods, 0, sizeof(remote_scan_methods));
	remote_scan_methods.CustomName = "ShaleRemoteScan";
	remote_scan_methods.CreateCustomScanState = create_remote_scan_state;
	RegisterCustomScanMethods(&remote_scan_methods);

	memset(&remote_exec_methods, 0, sizeof(remote_exec_methods));
	remote_exec_methods.CustomName = "ShaleRemoteScan";
	remote_exec_methods.BeginCustomScan = begin_remote_scan;
	remote_exec_methods.ExecCustomScan = exec_remote_scan;
	remote_exec_methods.EndCustomScan = end_remote_scan;
	remote_exec_methods.ReScanCustomScan = rescan_remote_scan;
	remote_exec_methods.ExplainCustomScan = explain_remote_scan;
}
