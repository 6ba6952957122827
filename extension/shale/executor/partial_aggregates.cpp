/*
 * partial_aggregates.cpp — aggregation split between workers and the router,
 * with PostgreSQL's own transition, combine, serialize and final functions,
 * so results equal plain PostgreSQL's (as in its parallel aggregation).
 *
 *   shale.partial_aggregate(aggregate oid [, value])   on a worker: runs the
 *       aggregate's transition function over the shard's rows and returns the
 *       state as bytea (serialize function, or the type's send function);
 *   shale.finalize_aggregate(aggregate oid, partial bytea, result witness)
 *       on the router: deserializes each partial state, combines them with
 *       the combine function, and applies the final function.
 *
 * Only aggregates that PostgreSQL itself can split (a combine function, and
 * serialize/deserialize functions for internal states) are split; the planner
 * checks that before it rewrites a query (aggregate_pushdown.cpp).
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/pg_aggregate.h"
#include "nodes/primnodes.h"
#include "utils/datum.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
}

/* The state of one split aggregate, kept in the aggregate's memory context. */
typedef struct SplitAggregateState
{
	Oid aggregate_id;
	Oid transition_type;
	bool transition_by_value;
	int16 transition_length;
	FmgrInfo step_function; /* transition (worker) or combine (router) */
	FmgrInfo serialize_function;	/* internal states on workers */
	FmgrInfo deserialize_function;	/* internal states on the router */
	FmgrInfo final_function;
	bool has_final_function;
	FmgrInfo send_function; /* other states */
	FmgrInfo receive_function;
	Oid receive_parameter;
	Datum value;
	bool value_is_null;
	FunctionCallInfo step_call; /* set up once, reused for every row */
} SplitAggregateState;

/* Looks the aggregate up and sets the state to its initial value. */
static SplitAggregateState *
new_split_state(Oid aggregate_id, bool on_router, MemoryContext context)
{
	HeapTuple tuple = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggregate_id));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION), errmsg("aggregate %u does not exist", aggregate_id),
						errhint("shale.partial_aggregate and shale.finalize_aggregate take the oid of an aggregate, "
								"e.g. 'sum(int8)'::regprocedure::oid.")));
	Form_pg_aggregate aggregate = (Form_pg_aggregate) GETSTRUCT(tuple);
	SplitAggregateState *state = (SplitAggregateState *) MemoryContextAllocZero(context, sizeof(SplitAggregateState));
	state->aggregate_id = aggregate_id;
	state->transition_type = aggregate->aggtranstype;
	get_typlenbyval(state->transition_type, &state->transition_length, &state->transition_by_value);
	Oid step = on_router ? aggregate->aggcombinefn : aggregate->aggtransfn;
	if (!OidIsValid(step) || aggregate->aggkind != AGGKIND_NORMAL || aggregate->aggfinalextra ||
		IsPolymorphicType(state->transition_type))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("aggregate %s cannot be split between workers and the router",
							   format_procedure(aggregate_id)),
						errhint("Only aggregates with a combine function, no final extra arguments and a "
								"non-polymorphic state can be split.")));
	fmgr_info_cxt(step, &state->step_function, context);
	if (state->transition_type == INTERNALOID)
	{
		if (!OidIsValid(aggregate->aggserialfn) || !OidIsValid(aggregate->aggdeserialfn))
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("aggregate %s has no serialization functions", format_procedure(aggregate_id)),
							errhint("An aggregate whose state is internal needs SERIALFUNC and DESERIALFUNC to be split.")));
		fmgr_info_cxt(aggregate->aggserialfn, &state->serialize_function, context);
		fmgr_info_cxt(aggregate->aggdeserialfn, &state->deserialize_function, context);
	}
	else
	{
		Oid send_function, receive_function;
		bool is_varlena;
		getTypeBinaryOutputInfo(state->transition_type, &send_function, &is_varlena);
		getTypeBinaryInputInfo(state->transition_type, &receive_function, &state->receive_parameter);
		fmgr_info_cxt(send_function, &state->send_function, context);
		fmgr_info_cxt(receive_function, &state->receive_function, context);
	}
	state->has_final_function = OidIsValid(aggregate->aggfinalfn);
	if (state->has_final_function)
		fmgr_info_cxt(aggregate->aggfinalfn, &state->final_function, context);

	bool initial_is_null;
	Datum initial_text = SysCacheGetAttr(AGGFNOID, tuple, Anum_pg_aggregate_agginitval, &initial_is_null);
	state->value_is_null = true;
	if (!initial_is_null)
	{
		Oid input_function, input_parameter;
		getTypeInputInfo(state->transition_type, &input_function, &input_parameter);
		MemoryContext previous = MemoryContextSwitchTo(context);
		state->value = OidInputFunctionCall(input_function, TextDatumGetCString(initial_text), input_parameter, -1);
		state->value_is_null = false;
		MemoryContextSwitchTo(previous);
	}
	ReleaseSysCache(tuple);
	return state;
}

/*
 * advance calls the step function (transition or combine) the way PostgreSQL's
 * aggregate executor does: strict functions skip NULL inputs and start from
 * the first input when the state is NULL; by-reference results are copied
 * into the aggregate's context.
 */
static void
advance(SplitAggregateState *state, FunctionCallInfo caller, MemoryContext context, int input_count, Datum input,
		bool input_is_null)
{
	if (state->step_function.fn_strict)
	{
		if (input_count > 0 && input_is_null)
			return;
		if (state->value_is_null && input_count > 0)
		{
			MemoryContext previous = MemoryContextSwitchTo(context);
			state->value = datumCopy(input, state->transition_by_value, state->transition_length);
			state->value_is_null = false;
			MemoryContextSwitchTo(previous);
			return;
		}
	}
	if (state->step_call == NULL)
	{
		state->step_call = (FunctionCallInfo) MemoryContextAllocZero(context, SizeForFunctionCallInfo(2));
		InitFunctionCallInfoData(*state->step_call, &state->step_function, 1 + input_count, caller->fncollation,
								 caller->context, NULL);
	}
	FunctionCallInfo step = state->step_call;
	step->isnull = false;
	step->args[0].value = state->value;
	step->args[0].isnull = state->value_is_null;
	step->args[1].value = input;
	step->args[1].isnull = input_is_null;
	Datum result = FunctionCallInvoke(step);
	bool result_is_null = step->isnull;
	if (!state->transition_by_value && !result_is_null && state->transition_type != INTERNALOID &&
		DatumGetPointer(result) != DatumGetPointer(state->value))
	{
		MemoryContext previous = MemoryContextSwitchTo(context);
		result = datumCopy(result, false, state->transition_length);
		MemoryContextSwitchTo(previous);
	}
	state->value = result;
	state->value_is_null = result_is_null;
}

static MemoryContext
aggregate_context(FunctionCallInfo fcinfo)
{
	MemoryContext context;
	if (!AggCheckCallContext(fcinfo, &context))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("shale aggregate support function called outside an aggregate"),
						errhint("Call shale.partial_aggregate or shale.finalize_aggregate as aggregates.")));
	return context;
}

/* shale.partial_aggregate's transition: (state, aggregate oid [, value]). */
SHALE_FUNCTION(shale_partial_aggregate_transition)
{
	MemoryContext context = aggregate_context(fcinfo);
	SplitAggregateState *state = PG_ARGISNULL(0) ? NULL : (SplitAggregateState *) PG_GETARG_POINTER(0);
	if (state == NULL)
		state = new_split_state(PG_GETARG_OID(1), false, context);
	int input_count = PG_NARGS() - 2;
	advance(state, fcinfo, context, input_count, input_count > 0 ? PG_GETARG_DATUM(2) : (Datum) 0,
			input_count > 0 ? PG_ARGISNULL(2) : false);
	PG_RETURN_POINTER(state);
}

/* shale.partial_aggregate's final function: the state as bytea, NULL if there was none. */
SHALE_FUNCTION(shale_partial_aggregate_serialize)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	SplitAggregateState *state = (SplitAggregateState *) PG_GETARG_POINTER(0);
	if (state->value_is_null)
		PG_RETURN_NULL();
	if (state->transition_type == INTERNALOID)
	{
		LOCAL_FCINFO(serialize, 1);
		InitFunctionCallInfoData(*serialize, &state->serialize_function, 1, InvalidOid, fcinfo->context, NULL);
		serialize->args[0].value = state->value;
		serialize->args[0].isnull = false;
		Datum result = FunctionCallInvoke(serialize);
		if (serialize->isnull)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(result);
	}
	PG_RETURN_BYTEA_P(SendFunctionCall(&state->send_function, state->value));
}

/* shale.finalize_aggregate's transition: (state, aggregate oid, partial bytea, witness). */
SHALE_FUNCTION(shale_finalize_aggregate_transition)
{
	MemoryContext context = aggregate_context(fcinfo);
	SplitAggregateState *state = PG_ARGISNULL(0) ? NULL : (SplitAggregateState *) PG_GETARG_POINTER(0);
	if (state == NULL)
		state = new_split_state(PG_GETARG_OID(1), true, context);
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(state); /* a shard without rows for this group */

	bytea *partial = PG_GETARG_BYTEA_PP(2);
	Datum value;
	if (state->transition_type == INTERNALOID)
	{
		LOCAL_FCINFO(deserialize, 2);
		InitFunctionCallInfoData(*deserialize, &state->deserialize_function, 2, InvalidOid, fcinfo->context, NULL);
		deserialize->args[0].value = PointerGetDatum(partial);
		deserialize->args[0].isnull = false;
		deserialize->args[1].value = (Datum) 0; /* the dummy internal argument */
		deserialize->args[1].isnull = false;
		value = FunctionCallInvoke(deserialize);
	}
	else
	{
		StringInfoData buffer;
		buffer.data = VARDATA_ANY(partial);
		buffer.len = VARSIZE_ANY_EXHDR(partial);
		buffer.maxlen = buffer.len;
		buffer.cursor = 0;
		value = ReceiveFunctionCall(&state->receive_function, &buffer, state->receive_parameter, -1);
	}
	advance(state, fcinfo, context, 1, value, false);
	PG_RETURN_POINTER(state);
}

/*
 * The aggregate oid of a finalize call, read from its first argument in the
 * Aggref: with no input rows the transition never ran and the final function
 * gets only NULLs.
 */
static Oid
aggregate_of_call(FunctionCallInfo fcinfo)
{
	Aggref *aggref = AggGetAggref(fcinfo);
	if (aggref != NULL && aggref->args != NIL)
	{
		Node *first = (Node *) ((TargetEntry *) linitial(aggref->args))->expr;
		if (IsA(first, Const) && !((Const *) first)->constisnull)
			return DatumGetObjectId(((Const *) first)->constvalue);
	}
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("shale.finalize_aggregate needs a constant aggregate oid"),
					errhint("Pass the aggregate as a constant, e.g. 'sum(int8)'::regprocedure::oid.")));
	return InvalidOid;
}

/* shale.finalize_aggregate's final function: the aggregate's own final function on the combined state. */
SHALE_FUNCTION(shale_finalize_aggregate_final)
{
	MemoryContext context = aggregate_context(fcinfo);
	SplitAggregateState *state = PG_ARGISNULL(0) ? NULL : (SplitAggregateState *) PG_GETARG_POINTER(0);
	if (state == NULL)
		state = new_split_state(aggregate_of_call(fcinfo), true, context);
	if (!state->has_final_function)
	{
		if (state->value_is_null)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(state->value);
	}
	if (state->final_function.fn_strict && state->value_is_null)
		PG_RETURN_NULL();
	LOCAL_FCINFO(final, 1);
	InitFunctionCallInfoData(*final, &state->final_function, 1, PG_GET_COLLATION(), fcinfo->context, NULL);
	final->args[0].value = state->value;
	final->args[0].isnull = state->value_is_null;
	Datum result = FunctionCallInvoke(final);
	if (final->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
