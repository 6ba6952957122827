/*
 * query_stats.h — query insights measured at the router: per normalised query
 * pattern (PostgreSQL's query id, which ignores literals) the calls, errors,
 * latency percentiles, rows and how the statement ran (on the router only, on
 * one shard, or on several shards), with its busiest tenants; and the busiest
 * tenants (distribution values) overall. Everything lives in bounded shared
 * memory: shale.query_stats_max patterns, a fixed table of tenant slots.
 *
 * The executor's remote paths report what they did through
 * query_stats_note_tasks and query_stats_note_tenant; statement_tracking.cpp
 * times the statements and records them here.
 */
#ifndef SHALE_QUERY_STATS_H
#define SHALE_QUERY_STATS_H

/* Installs the settings, the shared memory and the statement hooks (from _PG_init; statement_tracking.cpp). */
void query_stats_init(void);

/* The normalised text of a statement: its constants replaced by $n (query_text.cpp); palloc'd. */
char *normalised_query_text(const char *source, int location, int length, const struct JumbleState *jumble,
							int *normalised_length);

/* The remote executor ran tasks on shard_count shards and received rows from the workers. */
void query_stats_note_tasks(int shard_count, uint64 rows_from_workers);

/*
 * A router statement ran for one tenant: its hash and table; value_text (may
 * be NULL) is the distribution value as text, or NULL with value/type given
 * to be printed only when the tenant is new to its slot.
 */
void query_stats_note_tenant(Oid table_id, int64 hash, const char *value_text, Datum value, Oid value_type);

/*
 * The planner made a scan of every shard of a distributed table whose
 * restriction clauses (Vars with varno relid) include column = constant or
 * parameter on a column other than the distribution column: the first such
 * column is kept with the pattern (fanout_filters.cpp).
 */
void query_stats_note_fanout_filter(Oid table_id, Index relid, AttrNumber distribution_attnum, List *clauses);

/* The same for the WHERE clause of a statement that runs on several shards (planner_hook.cpp). */
void query_stats_note_query_filters(Query *query);

/* What the statement tracker hands to the store when a statement ends. */
typedef struct StatementOutcome
{
	uint64 query_id;
	Oid user_id;
	Oid database_id;
	double elapsed_ms;
	bool failed;
	uint64 rows;
	int shards;				/* most shards one remote step touched; 0: the router alone */
	int remote_steps;		/* remote executions (router tasks or fan-outs) */
	uint64 rows_from_workers;
	bool has_tenant;
	Oid tenant_table;
	int64 tenant_hash;
	const char *tenant_text; /* may be NULL: then tenant_value / tenant_type */
	Datum tenant_value;
	Oid tenant_type;
	Oid filter_table;		 /* a scan on every shard filtered by equality on this table's column: */
	AttrNumber filter_column; /* the evidence of distribution and index advice */
} StatementOutcome;

/* Adds a finished (or failed) statement to its pattern and its tenant; creates the pattern if new. */
void query_stats_record(const StatementOutcome *outcome, const char *query_text, int query_length);

/* Stores the normalised text of a pattern seen for the first time (parse analysis). */
void query_stats_remember_text(uint64 query_id, Oid user_id, Oid database_id, const char *text, int length);

/* Whether statements are measured (shale.query_stats). */
bool query_stats_enabled(void);

/* The per-statement notes of statement_tracking.cpp, reset when a tracked statement starts. */
typedef struct StatementNotes
{
	bool active;
	int shards;
	int remote_steps;
	uint64 rows_from_workers;
	bool has_tenant;
	Oid tenant_table;
	int64 tenant_hash;
	const char *tenant_text;
	Datum tenant_value;
	Oid tenant_type;
	Oid filter_table;
	AttrNumber filter_column;
} StatementNotes;

extern StatementNotes current_statement_notes;

/* Settings and shared memory hooks for statement_tracking.cpp's init. */
void query_stats_define_settings(void);
void query_stats_request_shared_memory(void);
void query_stats_attach_shared_memory(void);

#endif
