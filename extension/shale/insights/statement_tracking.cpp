/*
 * statement_tracking.cpp — times the statements an application sends to the
 * router and hands them to the query insights store (query_stats.h).
 *
 * Only the outermost statement is a pattern: a nesting level counts planner,
 * ExecutorRun, ExecutorFinish and utility calls, so the SQL that functions,
 * the metadata cache or DDL run inside a statement is not counted apart, and
 * neither are the fragments the router sends to workers (their sessions are
 * named "shale:<pid>"). A statement's time is its planning (the router's own
 * work counts) plus the executor's time (queryDesc->totaltime: ExecutorRun and
 * ExecutorFinish), so a portal left open between protocol messages is not
 * charged for the wait. A statement that fails, in planning or execution, is
 * counted as an error of its pattern from the abort of the (sub)transaction it
 * started in, with the time since it started.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "executor/executor.h"
#include "executor/instrument.h"
#include "optimizer/planner.h"
#include "parser/analyze.h"
#include "portability/instr_time.h"
#include "storage/ipc.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/queryjumble.h"
}

#include "shale/insights/query_stats.h"

static post_parse_analyze_hook_type previous_post_parse_analyze = NULL;
static planner_hook_type previous_planner = NULL;
static ExecutorStart_hook_type previous_executor_start = NULL;
static ExecutorRun_hook_type previous_executor_run = NULL;
static ExecutorFinish_hook_type previous_executor_finish = NULL;
static ExecutorEnd_hook_type previous_executor_end = NULL;
static ProcessUtility_hook_type previous_process_utility = NULL;
static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

/* How deep inside planning, execution or a utility statement this backend is. */
static int nesting_level = 0;

/* The outermost statement being tracked, if any (tracked_query_id != 0). */
static uint64 tracked_query_id = 0;
static QueryDesc *tracked_statement = NULL; /* set at ExecutorStart */
static instr_time tracked_started;
static double tracked_planning_ms = 0;
/* the subtransaction it started in: only the abort of that one is the statement's failure */
static SubTransactionId tracked_subtransaction = InvalidSubTransactionId;

/* Whether this session is the router's own connection to a worker (not an application's). */
static bool
is_router_fragment_session(void)
{
	return application_name != NULL && strncmp(application_name, "shale:", 6) == 0;
}

/* Whether a top-level statement with this query id is measured. */
static bool
should_track(uint64 query_id)
{
	return nesting_level == 0 && query_id != UINT64CONST(0) && query_stats_enabled() && !is_router_fragment_session();
}

static void
stop_tracking(void)
{
	tracked_query_id = 0;
	tracked_statement = NULL;
	tracked_planning_ms = 0;
	memset(&current_statement_notes, 0, sizeof(current_statement_notes));
}

/* Starts measuring a statement (at its planning, or at ExecutorStart for a plan made earlier). */
static void
start_tracking(uint64 query_id)
{
	stop_tracking();
	tracked_query_id = query_id;
	tracked_subtransaction = GetCurrentSubTransactionId();
	INSTR_TIME_SET_CURRENT(tracked_started);
	current_statement_notes.active = true;
}

static void
request_shared_memory(void)
{
	if (previous_shmem_request != NULL)
		previous_shmem_request();
	query_stats_request_shared_memory();
}

static void
attach_shared_memory(void)
{
	if (previous_shmem_startup != NULL)
		previous_shmem_startup();
	query_stats_attach_shared_memory();
}

/* At parse analysis of a pattern: keep its text with the constants replaced by $n. */
static void
remember_statement_text(ParseState *parse_state, Query *query, JumbleState *jumble)
{
	if (previous_post_parse_analyze != NULL)
		previous_post_parse_analyze(parse_state, query, jumble);
	if (!should_track(query->queryId) || query->commandType == CMD_UTILITY || jumble == NULL ||
		jumble->clocations_count == 0 || parse_state->p_sourcetext == NULL)
		return;
	int length = 0;
	char *text = normalised_query_text(parse_state->p_sourcetext, query->stmt_location, query->stmt_len, jumble,
									   &length);
	query_stats_remember_text(query->queryId, GetUserId(), MyDatabaseId, text, length);
	pfree(text);
}

static PlannedStmt *
plan_statement(Query *parse, const char *query_string, int cursor_options, ParamListInfo bound_parameters)
{
	bool track = should_track(parse->queryId) && parse->commandType != CMD_UTILITY;
	if (track)
		start_tracking(parse->queryId);
	instr_time started;
	INSTR_TIME_SET_CURRENT(started);
	PlannedStmt *planned;
	nesting_level++;
	PG_TRY();
	{
		planned = previous_planner != NULL ? previous_planner(parse, query_string, cursor_options, bound_parameters)
										   : standard_planner(parse, query_string, cursor_options, bound_parameters);
	}
	PG_FINALLY();
	{
		nesting_level--;
	}
	PG_END_TRY();
	if (track && tracked_query_id == parse->queryId)
	{
		instr_time now;
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, started);
		tracked_planning_ms = INSTR_TIME_GET_MILLISEC(now);
	}
	return planned;
}

static void
start_statement(QueryDesc *query_desc, int eflags)
{
	if (previous_executor_start != NULL)
		previous_executor_start(query_desc, eflags);
	else
		standard_ExecutorStart(query_desc, eflags);
	uint64 query_id = query_desc->plannedstmt->queryId;
	if (!should_track(query_id) || (eflags & EXEC_FLAG_EXPLAIN_ONLY))
		return;
	/* planned just now: keep measuring from its planning; a plan made earlier starts here */
	if (tracked_query_id != query_id || tracked_statement != NULL)
		start_tracking(query_id);
	if (query_desc->totaltime == NULL)
	{
		MemoryContext previous = MemoryContextSwitchTo(query_desc->estate->es_query_cxt);
		query_desc->totaltime = InstrAlloc(1, INSTRUMENT_TIMER, false);
		MemoryContextSwitchTo(previous);
	}
	tracked_statement = query_desc;
}

static void
run_statement(QueryDesc *query_desc, ScanDirection direction, uint64 count, bool execute_once)
{
	nesting_level++;
	PG_TRY();
	{
		if (previous_executor_run != NULL)
			previous_executor_run(query_desc, direction, count, execute_once);
		else
			standard_ExecutorRun(query_desc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		nesting_level--;
	}
	PG_END_TRY();
}

static void
finish_statement(QueryDesc *query_desc)
{
	nesting_level++;
	PG_TRY();
	{
		if (previous_executor_finish != NULL)
			previous_executor_finish(query_desc);
		else
			standard_ExecutorFinish(query_desc);
	}
	PG_FINALLY();
	{
		nesting_level--;
	}
	PG_END_TRY();
}

/* The outcome of the tracked statement from its notes. */
static StatementOutcome
outcome_of_statement(double elapsed_ms, bool failed, uint64 rows)
{
	StatementOutcome outcome;
	memset(&outcome, 0, sizeof(outcome));
	outcome.query_id = tracked_query_id;
	outcome.user_id = GetUserId();
	outcome.database_id = MyDatabaseId;
	outcome.elapsed_ms = elapsed_ms;
	outcome.failed = failed;
	outcome.rows = rows;
	outcome.shards = current_statement_notes.shards;
	outcome.remote_steps = current_statement_notes.remote_steps;
	outcome.rows_from_workers = current_statement_notes.rows_from_workers;
	/* a failed statement keeps no tenant: printing a value needs a healthy transaction */
	outcome.has_tenant = current_statement_notes.has_tenant && !failed;
	outcome.tenant_table = current_statement_notes.tenant_table;
	outcome.tenant_hash = current_statement_notes.tenant_hash;
	outcome.tenant_text = current_statement_notes.tenant_text;
	outcome.tenant_value = current_statement_notes.tenant_value;
	outcome.tenant_type = current_statement_notes.tenant_type;
	outcome.filter_table = current_statement_notes.filter_table;
	outcome.filter_column = current_statement_notes.filter_column;
	return outcome;
}

static void
end_statement(QueryDesc *query_desc)
{
	if (query_desc == tracked_statement)
	{
		double elapsed_ms = tracked_planning_ms;
		if (query_desc->totaltime != NULL)
		{
			InstrEndLoop(query_desc->totaltime);
			elapsed_ms += query_desc->totaltime->total * 1000.0;
		}
		StatementOutcome outcome = outcome_of_statement(elapsed_ms, false, query_desc->estate->es_processed);
		const char *source = query_desc->sourceText;
		int length = 0;
		if (source != NULL)
		{
			int source_length = (int) strlen(source);
			int location = query_desc->plannedstmt->stmt_location;
			length = query_desc->plannedstmt->stmt_len;
			if (location < 0 || location > source_length)
				location = 0;
			source += location;
			if (length <= 0 || length > source_length - location)
				length = source_length - location;
		}
		stop_tracking();
		query_stats_record(&outcome, source, length);
	}
	if (previous_executor_end != NULL)
		previous_executor_end(query_desc);
	else
		standard_ExecutorEnd(query_desc);
}

static void
run_utility(PlannedStmt *statement, const char *query_string, bool read_only_tree, ProcessUtilityContext context,
			ParamListInfo parameters, QueryEnvironment *environment, DestReceiver *destination, QueryCompletion *completion)
{
	nesting_level++;
	PG_TRY();
	{
		if (previous_process_utility != NULL)
			previous_process_utility(statement, query_string, read_only_tree, context, parameters, environment,
									 destination, completion);
		else
			standard_ProcessUtility(statement, query_string, read_only_tree, context, parameters, environment,
									destination, completion);
	}
	PG_FINALLY();
	{
		nesting_level--;
	}
	PG_END_TRY();
}

/* A statement that fails ends in an abort: count it as an error of its pattern. */
static void
count_failed_statement(void)
{
	nesting_level = 0; /* an error unwound through our hooks' PG_FINALLY already; be sure */
	if (tracked_query_id == 0)
		return;
	instr_time now;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, tracked_started);
	StatementOutcome outcome = outcome_of_statement(INSTR_TIME_GET_MILLISEC(now), true, 0);
	stop_tracking();
	query_stats_record(&outcome, NULL, 0);
}

static void
on_transaction_event(XactEvent event, void *)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		count_failed_statement();
	else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
		stop_tracking(); /* planned but never executed, or a portal dropped at commit */
}

/* A savepoint's abort fails the statement that started in it; inner ones (exception blocks) do not. */
static void
on_subtransaction_event(SubXactEvent event, SubTransactionId subtransaction, SubTransactionId, void *)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && tracked_query_id != 0 && subtransaction == tracked_subtransaction)
		count_failed_statement();
}

void
query_stats_init(void)
{
	query_stats_define_settings();
	/* PostgreSQL computes query ids (the patterns) when a module asks for them */
	EnableQueryId();
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = request_shared_memory;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = attach_shared_memory;
	previous_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = remember_statement_text;
	previous_planner = planner_hook;
	planner_hook = plan_statement;
	previous_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = start_statement;
	previous_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = run_statement;
	previous_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = finish_statement;
	previous_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = end_statement;
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = run_utility;
	RegisterXactCallback(on_transaction_event, NULL);
	RegisterSubXactCallback(on_subtransaction_event, NULL);
}
