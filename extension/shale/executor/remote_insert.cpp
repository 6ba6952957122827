/*
 * remote_insert.cpp — routes the rows of an INSERT to their shards.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "catalog/pg_constraint.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/syscache.h"
}

#include "shale/connection/worker_connection.h"
#include "shale/executor/remote_insert.h"
#include "shale/insights/query_stats.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/planner/query_deparse.h"
#include "shale/transaction/remote_transaction.h"

/* Rows buffered for one shard before they are sent. */
static const int insert_batch_rows = 1000;

List *
make_insert_info(Query *insert_query, List *target_attnos, int distribution_index, int parameter_offset)
{
	List *single_row = insert_statement_template(insert_query, target_attnos, 1, parameter_offset);
	return list_make5(insert_query, target_attnos, makeInteger(distribution_index), makeInteger(parameter_offset),
					  single_row);
}

/* A Param standing for one value of the batch. */
static Param *
value_parameter(int parameter_id, Form_pg_attribute attribute)
{
	Param *parameter = makeNode(Param);
	parameter->paramkind = PARAM_EXTERN;
	parameter->paramid = parameter_id;
	parameter->paramtype = attribute->atttypid;
	parameter->paramtypmod = attribute->atttypmod;
	parameter->paramcollid = attribute->attcollation;
	parameter->location = -1;
	return parameter;
}

/* The key columns of a unique constraint, as ON CONFLICT (…) inference elements. */
static List *
constraint_columns_as_inference(Oid constraint_id, Index result_relation)
{
	HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(constraint_id));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "shale: constraint %u does not exist", constraint_id);
	Form_pg_constraint constraint = (Form_pg_constraint) GETSTRUCT(tuple);
	Oid table_id = constraint->conrelid;
	bool is_null;
	Datum keys = SysCacheGetAttr(CONSTROID, tuple, Anum_pg_constraint_conkey, &is_null);
	if (is_null || (constraint->contype != CONSTRAINT_PRIMARY && constraint->contype != CONSTRAINT_UNIQUE))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("ON CONFLICT ON CONSTRAINT \"%s\" is not supported on distributed tables",
							   NameStr(constraint->conname)),
						errhint("Name the conflict columns instead: ON CONFLICT (column, …).")));
	ArrayType *array = DatumGetArrayTypeP(keys);
	int16 *attnums = (int16 *) ARR_DATA_PTR(array);
	int count = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	List *elements = NIL;
	for (int i = 0; i < count; i++)
	{
		InferenceElem *element = makeNode(InferenceElem);
		Oid type;
		int32 typmod;
		Oid collation;
		get_atttypetypmodcoll(table_id, attnums[i], &type, &typmod, &collation);
		element->expr = (Node *) makeVar(result_relation, attnums[i], type, typmod, collation, 0);
		elements = lappend(elements, element);
	}
	ReleaseSysCache(tuple);
	return elements;
}

List *
insert_statement_template(Query *insert_query, List *target_attnos, int row_count, int parameter_offset)
{
	Query *query = (Query *) copyObject(insert_query);
	RangeTblEntry *target = rt_fetch(query->resultRelation, query->rtable);
	Relation relation = RelationIdGetRelation(target->relid);
	TupleDesc descriptor = RelationGetDescr(relation);
	int column_count = list_length(target_attnos);

	/*
	 * ON CONFLICT ON CONSTRAINT names the router's constraint; on a shard it has
	 * another name: name the constraint's columns instead.
	 */
	if (query->onConflict != NULL && OidIsValid(query->onConflict->constraint))
	{
		query->onConflict->arbiterElems = constraint_columns_as_inference(query->onConflict->constraint,
																		  query->resultRelation);
		query->onConflict->constraint = InvalidOid;
	}

	/* the source was evaluated on the router: drop it, and its CTEs */
	query->cteList = NIL;
	query->hasRecursive = false;
	int values_index = 0;
	ListCell *cell;
	int index = 0;
	foreach (cell, query->rtable)
	{
		index++;
		RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);
		if (entry->rtekind == RTE_SUBQUERY || entry->rtekind == RTE_VALUES)
		{
			/* the printer looks for these kinds in the range table: neutralise them */
			entry->rtekind = RTE_RESULT;
			entry->subquery = NULL;
			entry->values_lists = NIL;
			if (values_index == 0)
				values_index = index;
		}
	}

	List *rows = NIL;
	int parameter_id = parameter_offset;
	for (int r = 0; r < row_count; r++)
	{
		List *row = NIL;
		for (int c = 0; c < column_count; c++)
			row = lappend(row, value_parameter(++parameter_id, TupleDescAttr(descriptor, list_nth_int(target_attnos, c) - 1)));
		rows = lappend(rows, row);
	}

	List *target_list = NIL;
	if (row_count == 1)
	{
		for (int c = 0; c < column_count; c++)
		{
			int attno = list_nth_int(target_attnos, c);
			target_list = lappend(target_list, makeTargetEntry((Expr *) list_nth((List *) linitial(rows), c), attno,
															   pstrdup(NameStr(TupleDescAttr(descriptor, attno - 1)->attname)),
															   false));
		}
		query->jointree = makeFromExpr(NIL, NULL);
	}
	else
	{
		RangeTblEntry *values = makeNode(RangeTblEntry);
		values->rtekind = RTE_VALUES;
		values->values_lists = rows;
		List *names = NIL;
		for (int c = 0; c < column_count; c++)
		{
			Form_pg_attribute attribute = TupleDescAttr(descriptor, list_nth_int(target_attnos, c) - 1);
			values->coltypes = lappend_oid(values->coltypes, attribute->atttypid);
			values->coltypmods = lappend_int(values->coltypmods, attribute->atttypmod);
			values->colcollations = lappend_oid(values->colcollations, attribute->attcollation);
			names = lappend(names, makeString(psprintf("column%d", c + 1)));
		}
		values->eref = makeAlias("*VALUES*", names);
		values->inFromCl = true;
		if (values_index > 0)
			list_nth_cell(query->rtable, values_index - 1)->ptr_value = values;
		else
		{
			query->rtable = lappend(query->rtable, values);
			values_index = list_length(query->rtable);
		}
		RangeTblRef *reference = makeNode(RangeTblRef);
		reference->rtindex = values_index;
		query->jointree = makeFromExpr(list_make1(reference), NULL);
		for (int c = 0; c < column_count; c++)
		{
			int attno = list_nth_int(target_attnos, c);
			Form_pg_attribute attribute = TupleDescAttr(descriptor, attno - 1);
			Var *var = makeVar(values_index, c + 1, attribute->atttypid, attribute->atttypmod, attribute->attcollation, 0);
			target_list = lappend(target_list, makeTargetEntry((Expr *) var, attno, pstrdup(NameStr(attribute->attname)), false));
		}
	}
	query->targetList = target_list;
	RelationClose(relation);
	return shard_query_template(query);
}

/* Rows waiting for one shard. */
typedef struct ShardBatch
{
	const ShardEntry *shard;
	int64 hash;				/* any hash of the shard, to fill the template */
	List *rows;				/* char ** of column_count values */
	MemoryContext memory;	/* holds rows; reset after each send, so memory is bounded by the batch size */
	bool written;			/* a row went to this shard (query insights counts the shards) */
} ShardBatch;

typedef struct InsertRun
{
	CustomScanState *node;
	List *insert_info;
	int column_count;
	int parameter_offset;
	const char **statement_parameters; /* the statement's own $1 … */
	Oid *statement_parameter_types;
	bool in_transaction;
	WorkerRowConsumer consume; /* RETURNING rows go here */
	void *consume_context;
	MemoryContext send_memory; /* one batch's statement and parameters, reset after each send */
} InsertRun;

/* Sends one shard's batch to its placements (all of them for reference tables). */
static void
send_batch(InsertRun *run, ShardBatch *batch, bool every_placement)
{
	int row_count = list_length(batch->rows);
	if (row_count == 0)
		return;
	MemoryContext previous = MemoryContextSwitchTo(run->send_memory);
	Query *insert_query = (Query *) linitial(run->insert_info);
	List *target_attnos = (List *) lsecond(run->insert_info);
	List *template_list = row_count == 1 ? (List *) list_nth(run->insert_info, 4)
										 : insert_statement_template(insert_query, target_attnos, row_count,
																	 run->parameter_offset);
	char *sql = shard_query_for_hash(template_list, batch->hash);

	int parameter_count = run->parameter_offset + row_count * run->column_count;
	const char **values = (const char **) palloc0(sizeof(char *) * (parameter_count + 1));
	Oid *types = (Oid *) palloc0(sizeof(Oid) * (parameter_count + 1));
	for (int i = 0; i < run->parameter_offset; i++)
	{
		values[i] = run->statement_parameters[i];
		types[i] = run->statement_parameter_types[i];
	}
	RangeTblEntry *target = rt_fetch(insert_query->resultRelation, insert_query->rtable);
	int position = run->parameter_offset;
	ListCell *cell;
	foreach (cell, batch->rows)
	{
		const char **row = (const char **) lfirst(cell);
		for (int c = 0; c < run->column_count; c++)
		{
			Oid type = get_atttype(target->relid, list_nth_int(target_attnos, c));
			types[position] = type < FirstNormalObjectId ? type : InvalidOid;
			values[position++] = row[c];
		}
	}

	int placements = every_placement ? batch->shard->placement_count : 1;
	EState *estate = run->node->ss.ps.state;
	for (int p = 0; p < placements; p++)
	{
		int group_id = batch->shard->placement_group_ids[p];
		WorkerConnection *connection = run->in_transaction ? remote_transaction_connection(group_id, true)
														   : statement_connection(group_id);
		worker_connection_prepare_statement(connection);
		worker_connection_send_prepared(connection, sql, parameter_count, types, values);
		/* the same rows and count come from every placement: the first one's count */
		PGresult *result = p == 0 && run->consume != NULL
							   ? worker_connection_receive_rows(connection, run->consume, run->consume_context)
							   : worker_connection_receive(connection);
		if (result == NULL)
			continue;
		if (p == 0)
			estate->es_processed += strtoull(PQcmdTuples(result), NULL, 10);
		PQclear(result);
	}
	MemoryContextSwitchTo(previous);
	MemoryContextReset(run->send_memory);
	batch->rows = NIL;
	MemoryContextReset(batch->memory);
}

/* Tells query insights the tenant of an INSERT (its first row's): the value copied, for the statement's end. */
static void
note_insert_tenant(const DistributedTable *table, int64 hash, Datum value, Oid type)
{
	int16 length;
	bool by_value;
	get_typlenbyval(type, &length, &by_value);
	query_stats_note_tenant(table->table_id, hash, NULL, datumCopy(value, by_value, length), type);
}

void
run_remote_insert(CustomScanState *node, const RemotePlan *plan, PlanState *child, WorkerRowConsumer consume,
				  void *consume_context)
{
	InsertRun run;
	memset(&run, 0, sizeof(run));
	run.node = node;
	run.consume = consume;
	run.consume_context = consume_context;
	run.send_memory = AllocSetContextCreate(CurrentMemoryContext, "shale insert batch", ALLOCSET_DEFAULT_SIZES);
	run.insert_info = plan->insert_info;
	List *target_attnos = (List *) lsecond(plan->insert_info);
	int distribution_index = intVal(lthird(plan->insert_info));
	run.parameter_offset = intVal(lfourth(plan->insert_info));
	run.column_count = list_length(target_attnos);

	const DistributedTable *table = distributed_table_lookup(plan->table_id);
	if (table == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("table \"%s\" is no longer distributed", get_rel_name(plan->table_id)),
						errhint("Run the statement again.")));
	bool reference = table->kind == TABLE_KIND_REFERENCE;

	/* the statement's own parameters, for ON CONFLICT and RETURNING clauses */
	int statement_parameter_count;
	parameters_as_text(node->ss.ps.state->es_param_list_info, &statement_parameter_count,
					   &run.statement_parameter_types, &run.statement_parameters);
	if (statement_parameter_count < run.parameter_offset)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_PARAMETER),
						errmsg("there is no parameter $%d", statement_parameter_count + 1),
						errhint("Bind a value for every parameter the INSERT uses.")));

	/* output functions of the child's columns */
	TupleDesc child_descriptor = ExecGetResultType(child);
	FmgrInfo *output_functions = (FmgrInfo *) palloc0(sizeof(FmgrInfo) * (run.column_count + 1));
	for (int c = 0; c < run.column_count; c++)
	{
		Oid output_function;
		bool is_varlena;
		getTypeOutputInfo(TupleDescAttr(child_descriptor, c)->atttypid, &output_function, &is_varlena);
		fmgr_info(output_function, &output_functions[c]);
	}

	ShardBatch *batches = (ShardBatch *) palloc0(sizeof(ShardBatch) * table->shard_count);
	for (int s = 0; s < table->shard_count; s++)
	{
		batches[s].shard = &table->shards[s];
		batches[s].hash = table->shards[s].hash_min;
		batches[s].memory = AllocSetContextCreate(CurrentMemoryContext, "shale shard rows", ALLOCSET_SMALL_SIZES);
	}
	List *groups_used = NIL;
	int shards_written = 0;
	/* a lone statement writing one group may commit there by itself; anything more is a distributed transaction */
	run.in_transaction = remote_statement_needs_transaction() || (reference && table->shards[0].placement_count > 1);
	FmgrInfo hash_function = table->hash_function;

	for (;;)
	{
		TupleTableSlot *slot = ExecProcNode(child);
		if (TupIsNull(slot))
			break;
		slot_getallattrs(slot);
		int shard_index = 0;
		if (!reference)
		{
			if (slot->tts_isnull[distribution_index])
				ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
								errmsg("cannot insert a NULL into distribution column \"%s\" of \"%s\"",
									   get_attname(plan->table_id, list_nth_int(target_attnos, distribution_index), false),
									   get_rel_name(plan->table_id)),
								errhint("Every row of a distributed table needs a value in its distribution column.")));
			/* hashing may detoast the value: in memory that the next row reuses */
			MemoryContextReset(run.send_memory);
			MemoryContext previous = MemoryContextSwitchTo(run.send_memory);
			int64 hash = DatumGetInt64(FunctionCall2Coll(&hash_function, table->distribution_collation,
														 slot->tts_values[distribution_index], Int64GetDatum(0)));
			MemoryContextSwitchTo(previous);
			shard_index = shale_find_range_index(table->ranges, table->shard_count, hash);
			if (current_statement_notes.active && !current_statement_notes.has_tenant)
				note_insert_tenant(table, hash, slot->tts_values[distribution_index],
								   TupleDescAttr(child_descriptor, distribution_index)->atttypid);
		}
		if (!batches[shard_index].written)
		{
			batches[shard_index].written = true;
			shards_written++;
		}
		ShardBatch *batch = &batches[shard_index];
		/* the row's text lives with its batch and goes when the batch is sent */
		MemoryContext previous = MemoryContextSwitchTo(batch->memory);
		const char **row = (const char **) palloc(sizeof(char *) * (run.column_count + 1));
		for (int c = 0; c < run.column_count; c++)
			row[c] = slot->tts_isnull[c] ? NULL : OutputFunctionCall(&output_functions[c], slot->tts_values[c]);
		batch->rows = lappend(batch->rows, row);
		MemoryContextSwitchTo(previous);
		groups_used = list_append_unique_int(groups_used, batch->shard->placement_group_ids[0]);
		if (list_length(batch->rows) >= insert_batch_rows)
		{
			/* a partial flush commits nothing by itself: the rest may go elsewhere */
			run.in_transaction = true;
			send_batch(&run, batch, reference);
		}
	}
	if (list_length(groups_used) > 1)
		run.in_transaction = true;
	query_stats_note_tasks(shards_written, 0);
	for (int s = 0; s < table->shard_count; s++)
	{
		send_batch(&run, &batches[s], reference);
		MemoryContextDelete(batches[s].memory);
	}
	MemoryContextDelete(run.send_memory);
}
