/*
 * query_stats.cpp — the shared-memory store of query insights (see
 * query_stats.h) and the SQL functions that read it:
 * shale.query_stats_rows(), shale.tenant_stats_rows(), shale.reset_query_stats().
 *
 * Patterns are a shared hash table under one LWLock: looked up in shared mode,
 * counted under the entry's spinlock; a new pattern takes the lock exclusively
 * and, when the table is full, first evicts the least-called 5 %. Latencies go
 * into a histogram of 8 buckets per power of two from 1 µs to about 4.7 hours,
 * so a percentile is off by at most ±4.5 %. Tenants are Misra-Gries counters:
 * a fixed table of slots (and four slots per pattern) where a tenant keeps its
 * slot while it is busier than the tenants that collide with it, so the
 * busiest ones are found in constant memory whatever the number of tenants.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "common/hashfn.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "catalog/pg_authid.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"
}

#include <math.h>

#include "shale/insights/query_stats.h"

#define QUERY_TEXT_BYTES 1024
#define TENANT_TEXT_BYTES 64
#define PATTERN_TENANTS 4
#define TENANT_SLOTS 4096
#define BUCKETS_PER_OCTAVE 8
#define LATENCY_BUCKETS (BUCKETS_PER_OCTAVE * 34)

typedef struct PatternKey
{
	uint64 query_id;
	Oid user_id;
	Oid database_id;
} PatternKey;

typedef struct TenantCounter
{
	int64 hash;
	Oid table_id;
	int64 weight; /* Misra-Gries weight: decremented by colliding tenants */
	int64 statements;
	double total_ms;
	int64 rows;
	char value[TENANT_TEXT_BYTES];
} TenantCounter;

typedef struct PatternEntry
{
	PatternKey key; /* hash key: first */
	slock_t mutex;
	int64 calls;
	int64 errors;
	double total_ms;
	double min_ms;
	double max_ms;
	int64 rows;
	int64 rows_from_workers;
	int64 router_only_calls; /* no remote step: local or catalog statements */
	int64 single_shard_calls;
	int64 multi_shard_calls;
	int64 shards_total; /* sum over calls of the shards touched */
	int32 max_shards;
	Oid filter_table; /* see StatementOutcome */
	AttrNumber filter_column;
	TimestampTz first_seen;
	TimestampTz last_seen;
	uint32 latency[LATENCY_BUCKETS];
	TenantCounter tenants[PATTERN_TENANTS];
	int32 text_length;
	char text[QUERY_TEXT_BYTES];
} PatternEntry;

typedef struct TenantSlot
{
	slock_t mutex;
	TenantCounter counter;
} TenantSlot;

typedef struct InsightsShared
{
	LWLock *lock;
	pg_atomic_uint64 evictions;
	TimestampTz reset_at;
	TenantSlot tenants[TENANT_SLOTS];
} InsightsShared;

static bool stats_enabled = true;
static int max_patterns = 5000;
static InsightsShared *shared = NULL;
static HTAB *patterns = NULL;

StatementNotes current_statement_notes;

bool
query_stats_enabled(void)
{
	return stats_enabled && shared != NULL;
}

/* Settings ----------------------------------------------------------------- */

void
query_stats_define_settings(void)
{
	DefineCustomBoolVariable("shale.query_stats", "Measures every statement for query insights (shale.query_stats).",
							 NULL, &stats_enabled, true, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("shale.query_stats_max", "How many query patterns query insights keeps.",
							"When full, the least-called 5 % are forgotten to make room.", &max_patterns, 5000, 100,
							1000000, PGC_POSTMASTER, 0, NULL, NULL, NULL);
}

/* Shared memory ------------------------------------------------------------ */

void
query_stats_request_shared_memory(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(InsightsShared)));
	RequestAddinShmemSpace(hash_estimate_size(max_patterns, sizeof(PatternEntry)));
	RequestNamedLWLockTranche("shale query stats", 1);
}

void
query_stats_attach_shared_memory(void)
{
	bool found;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = (InsightsShared *) ShmemInitStruct("shale query stats", sizeof(InsightsShared), &found);
	if (!found)
	{
		shared->lock = &(GetNamedLWLockTranche("shale query stats"))->lock;
		pg_atomic_init_u64(&shared->evictions, 0);
		shared->reset_at = GetCurrentTimestamp();
		for (int i = 0; i < TENANT_SLOTS; i++)
		{
			SpinLockInit(&shared->tenants[i].mutex);
			memset(&shared->tenants[i].counter, 0, sizeof(TenantCounter));
		}
	}
	HASHCTL info;
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(PatternKey);
	info.entrysize = sizeof(PatternEntry);
	patterns = ShmemInitHash("shale query patterns", max_patterns, max_patterns, &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/* Patterns ----------------------------------------------------------------- */

typedef struct EvictionCandidate
{
	PatternKey key;
	int64 calls;
	TimestampTz last_seen;
} EvictionCandidate;

static int
compare_candidates(const void *a, const void *b)
{
	const EvictionCandidate *left = (const EvictionCandidate *) a, *right = (const EvictionCandidate *) b;
	if (left->calls != right->calls)
		return left->calls < right->calls ? -1 : 1;
	if (left->last_seen != right->last_seen)
		return left->last_seen < right->last_seen ? -1 : 1;
	return 0;
}

/* Forgets the least-called 5 % of the patterns (the caller holds the lock exclusively). */
static void
evict_patterns(void)
{
	long count = hash_get_num_entries(patterns);
	if (count == 0)
		return;
	EvictionCandidate *candidates = (EvictionCandidate *) palloc(sizeof(EvictionCandidate) * count);
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, patterns);
	long used = 0;
	PatternEntry *entry;
	while ((entry = (PatternEntry *) hash_seq_search(&status)) != NULL)
	{
		if (used < count)
		{
			candidates[used].key = entry->key;
			candidates[used].calls = entry->calls;
			candidates[used].last_seen = entry->last_seen;
			used++;
		}
	}
	qsort(candidates, used, sizeof(EvictionCandidate), compare_candidates);
	long evict = Max(1, used / 20);
	for (long i = 0; i < evict && i < used; i++)
		hash_search(patterns, &candidates[i].key, HASH_REMOVE, NULL);
	pg_atomic_fetch_add_u64(&shared->evictions, (uint64) evict);
	pfree(candidates);
}

/* Copies a statement's text into an entry, cut at a character boundary. */
static void
store_text(PatternEntry *entry, const char *text, int length)
{
	if (text == NULL)
		length = 0;
	if (length >= QUERY_TEXT_BYTES)
		length = pg_mbcliplen(text, length, QUERY_TEXT_BYTES - 1);
	if (length > 0)
		memcpy(entry->text, text, length);
	entry->text[length] = '\0';
	entry->text_length = length;
}

/*
 * Returns the entry of a pattern, creating it (with text) when it is new; the
 * lock is held in shared mode on return. NULL when it cannot be made.
 */
static PatternEntry *
find_or_create_pattern(const PatternKey *key, const char *text, int length)
{
	LWLockAcquire(shared->lock, LW_SHARED);
	PatternEntry *entry = (PatternEntry *) hash_search(patterns, key, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;
	LWLockRelease(shared->lock);

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (hash_get_num_entries(patterns) >= max_patterns)
		evict_patterns();
	bool found;
	entry = (PatternEntry *) hash_search(patterns, key, HASH_ENTER_NULL, &found);
	if (entry != NULL && !found)
	{
		PatternKey saved = entry->key;
		memset(entry, 0, sizeof(PatternEntry));
		entry->key = saved;
		SpinLockInit(&entry->mutex);
		entry->min_ms = -1;
		entry->first_seen = GetCurrentTimestamp();
		store_text(entry, text, length);
	}
	LWLockRelease(shared->lock);
	/* take it again in shared mode: the entry may be evicted in between, which only loses this call */
	LWLockAcquire(shared->lock, LW_SHARED);
	return (PatternEntry *) hash_search(patterns, key, HASH_FIND, NULL);
}

void
query_stats_remember_text(uint64 query_id, Oid user_id, Oid database_id, const char *text, int length)
{
	if (!query_stats_enabled() || query_id == 0)
		return;
	PatternKey key;
	memset(&key, 0, sizeof(key));
	key.query_id = query_id;
	key.user_id = user_id;
	key.database_id = database_id;
	PatternEntry *entry = find_or_create_pattern(&key, text, length);
	(void) entry;
	LWLockRelease(shared->lock);
}

/* The latency bucket of a duration: 8 per power of two of microseconds. */
static int
latency_bucket(double elapsed_ms)
{
	double microseconds = elapsed_ms * 1000.0;
	if (microseconds <= 1.0)
		return 0;
	int bucket = (int) (log2(microseconds) * BUCKETS_PER_OCTAVE);
	return Min(bucket, LATENCY_BUCKETS - 1);
}

/* The middle of a bucket in milliseconds (geometric mean of its bounds). */
static double
bucket_middle_ms(int bucket)
{
	return pow(2.0, (bucket + 0.5) / BUCKETS_PER_OCTAVE) / 1000.0;
}

/* Tenants ------------------------------------------------------------------ */

/* The text of a tenant's distribution value, at most TENANT_TEXT_BYTES - 1 bytes. */
static void
tenant_text(const StatementOutcome *outcome, char *into)
{
	const char *text = outcome->tenant_text;
	if (text == NULL && OidIsValid(outcome->tenant_type))
	{
		Oid output_function;
		bool is_varlena;
		getTypeOutputInfo(outcome->tenant_type, &output_function, &is_varlena);
		text = OidOutputFunctionCall(output_function, outcome->tenant_value);
	}
	if (text == NULL)
		text = "";
	int length = pg_mbcliplen(text, strlen(text), TENANT_TEXT_BYTES - 1);
	memcpy(into, text, length);
	into[length] = '\0';
}

/*
 * Counts a statement for a tenant in one Misra-Gries counter: the tenant in
 * the counter gains weight, another tenant takes an empty counter, else the
 * counter loses weight. The caller holds the counter's spinlock, so no
 * function that can fail is called here: text is given already printed.
 */
static void
count_tenant(TenantCounter *counter, const StatementOutcome *outcome, const char *text)
{
	if (counter->weight > 0 && counter->hash == outcome->tenant_hash && counter->table_id == outcome->tenant_table)
	{
		counter->weight++;
		counter->statements++;
		counter->total_ms += outcome->elapsed_ms;
		counter->rows += outcome->rows;
		return;
	}
	if (counter->weight > 0)
	{
		counter->weight--;
		return;
	}
	counter->hash = outcome->tenant_hash;
	counter->table_id = outcome->tenant_table;
	counter->weight = 1;
	counter->statements = 1;
	counter->total_ms = outcome->elapsed_ms;
	counter->rows = outcome->rows;
	strlcpy(counter->value, text, TENANT_TEXT_BYTES);
}

/* Whether a counter holds this tenant (read without its lock: a hint only). */
static bool
counter_holds(const TenantCounter *counter, const StatementOutcome *outcome)
{
	return counter->weight > 0 && counter->hash == outcome->tenant_hash && counter->table_id == outcome->tenant_table;
}

/* Recording ---------------------------------------------------------------- */

void
query_stats_record(const StatementOutcome *outcome, const char *query_text, int query_length)
{
	if (!query_stats_enabled() || outcome->query_id == 0)
		return;
	PatternKey key;
	memset(&key, 0, sizeof(key));
	key.query_id = outcome->query_id;
	key.user_id = outcome->user_id;
	key.database_id = outcome->database_id;

	/* print the tenant's value only when a counter will need it (a new tenant there) */
	char text[TENANT_TEXT_BYTES] = "";
	uint32 slot_index = 0;
	if (outcome->has_tenant)
	{
		uint64 mixed = (uint64) outcome->tenant_hash ^ ((uint64) outcome->tenant_table * UINT64CONST(0x9E3779B97F4A7C15));
		slot_index = (uint32) (mixed % TENANT_SLOTS);
		if (!counter_holds(&shared->tenants[slot_index].counter, outcome))
			tenant_text(outcome, text);
	}

	PatternEntry *entry = find_or_create_pattern(&key, query_text, query_length);
	if (entry != NULL)
	{
		if (outcome->has_tenant && text[0] == '\0')
		{
			bool held = false;
			for (int i = 0; i < PATTERN_TENANTS; i++)
				held = held || counter_holds(&entry->tenants[i], outcome);
			if (!held)
			{
				LWLockRelease(shared->lock);
				tenant_text(outcome, text);
				entry = find_or_create_pattern(&key, query_text, query_length);
			}
		}
	}
	if (entry != NULL)
	{
		int bucket = latency_bucket(outcome->elapsed_ms);
		TimestampTz now = GetCurrentTimestamp();
		SpinLockAcquire(&entry->mutex);
		entry->calls++;
		if (outcome->failed)
			entry->errors++;
		entry->total_ms += outcome->elapsed_ms;
		if (entry->min_ms < 0 || outcome->elapsed_ms < entry->min_ms)
			entry->min_ms = outcome->elapsed_ms;
		if (outcome->elapsed_ms > entry->max_ms)
			entry->max_ms = outcome->elapsed_ms;
		entry->rows += outcome->rows;
		entry->rows_from_workers += outcome->rows_from_workers;
		if (outcome->remote_steps == 0)
			entry->router_only_calls++;
		else if (outcome->shards <= 1)
			entry->single_shard_calls++;
		else
			entry->multi_shard_calls++;
		entry->shards_total += outcome->shards;
		entry->max_shards = Max(entry->max_shards, outcome->shards);
		entry->last_seen = now;
		entry->latency[bucket]++;
		if (OidIsValid(outcome->filter_table))
		{
			entry->filter_table = outcome->filter_table;
			entry->filter_column = outcome->filter_column;
		}
		if (outcome->has_tenant)
		{
			/* the counter that holds the tenant, else the lightest one */
			int chosen = 0;
			for (int i = 0; i < PATTERN_TENANTS; i++)
			{
				if (counter_holds(&entry->tenants[i], outcome))
				{
					chosen = i;
					break;
				}
				if (entry->tenants[i].weight < entry->tenants[chosen].weight)
					chosen = i;
			}
			count_tenant(&entry->tenants[chosen], outcome, text);
		}
		SpinLockRelease(&entry->mutex);
	}
	LWLockRelease(shared->lock);

	if (outcome->has_tenant)
	{
		TenantSlot *slot = &shared->tenants[slot_index];
		SpinLockAcquire(&slot->mutex);
		count_tenant(&slot->counter, outcome, text);
		SpinLockRelease(&slot->mutex);
	}
}

void
query_stats_note_tasks(int shard_count, uint64 rows_from_workers)
{
	if (!current_statement_notes.active)
		return;
	current_statement_notes.remote_steps++;
	current_statement_notes.shards = Max(current_statement_notes.shards, shard_count);
	current_statement_notes.rows_from_workers += rows_from_workers;
}

void
query_stats_note_tenant(Oid table_id, int64 hash, const char *value_text, Datum value, Oid value_type)
{
	if (!current_statement_notes.active || current_statement_notes.has_tenant)
		return;
	current_statement_notes.has_tenant = true;
	current_statement_notes.tenant_table = table_id;
	current_statement_notes.tenant_hash = hash;
	current_statement_notes.tenant_text = value_text;
	current_statement_notes.tenant_value = value;
	current_statement_notes.tenant_type = value_type;
}

/* SQL functions ------------------------------------------------------------ */

/* The latency below which a fraction of the calls finished, from the histogram. */
static double
latency_percentile(const uint32 *latency, int64 calls, double fraction)
{
	if (calls <= 0)
		return 0;
	int64 wanted = (int64) ceil(fraction * calls), seen = 0;
	for (int bucket = 0; bucket < LATENCY_BUCKETS; bucket++)
	{
		seen += latency[bucket];
		if (seen >= wanted)
			return bucket_middle_ms(bucket);
	}
	return bucket_middle_ms(LATENCY_BUCKETS - 1);
}

static void
require_attached(void)
{
	if (shared == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("query insights are not available in this process"),
						errhint("shale must be in shared_preload_libraries.")));
}

/* The busiest tenants of a pattern as "value (statements)" text, busiest first. */
static char *
pattern_tenants_text(const TenantCounter *tenants)
{
	int order[PATTERN_TENANTS];
	for (int i = 0; i < PATTERN_TENANTS; i++)
		order[i] = i;
	for (int i = 1; i < PATTERN_TENANTS; i++)
		for (int j = i; j > 0 && tenants[order[j]].statements > tenants[order[j - 1]].statements; j--)
		{
			int swap = order[j];
			order[j] = order[j - 1];
			order[j - 1] = swap;
		}
	StringInfoData text;
	initStringInfo(&text);
	for (int i = 0; i < PATTERN_TENANTS; i++)
	{
		const TenantCounter *tenant = &tenants[order[i]];
		if (tenant->weight <= 0 || tenant->statements == 0)
			continue;
		appendStringInfo(&text, "%s%s (" INT64_FORMAT ")", text.len > 0 ? ", " : "", tenant->value, tenant->statements);
	}
	return text.data;
}

/*
 * shale.query_stats_rows returns one row per pattern; the view
 * shale.query_stats names the columns.
 */
SHALE_FUNCTION(shale_query_stats_rows)
{
	require_attached();
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *result_info = (ReturnSetInfo *) fcinfo->resultinfo;
	bool see_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	/* copy under the lock, convert after: nothing that can fail runs while it is held */
	LWLockAcquire(shared->lock, LW_SHARED);
	long count = hash_get_num_entries(patterns);
	PatternEntry *copies = (PatternEntry *) palloc(sizeof(PatternEntry) * Max(count, 1));
	long used = 0;
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, patterns);
	PatternEntry *entry;
	while ((entry = (PatternEntry *) hash_seq_search(&status)) != NULL)
	{
		if (used >= count || (!see_all && entry->key.user_id != GetUserId()))
			continue;
		SpinLockAcquire(&entry->mutex);
		memcpy(&copies[used], entry, sizeof(PatternEntry));
		SpinLockRelease(&entry->mutex);
		used++;
	}
	LWLockRelease(shared->lock);

	for (long i = 0; i < used; i++)
	{
		const PatternEntry *pattern = &copies[i];
		Datum values[22];
		bool nulls[22];
		memset(nulls, 0, sizeof(nulls));
		int column = 0;
		values[column++] = Int64GetDatum((int64) pattern->key.query_id);
		values[column++] = ObjectIdGetDatum(pattern->key.user_id);
		values[column++] = ObjectIdGetDatum(pattern->key.database_id);
		values[column++] = CStringGetTextDatum(pattern->text);
		values[column++] = Int64GetDatum(pattern->calls);
		values[column++] = Int64GetDatum(pattern->errors);
		values[column++] = Float8GetDatum(pattern->total_ms);
		values[column++] = Float8GetDatum(pattern->calls > 0 ? pattern->total_ms / pattern->calls : 0);
		values[column++] = Float8GetDatum(pattern->min_ms < 0 ? 0 : pattern->min_ms);
		values[column++] = Float8GetDatum(pattern->max_ms);
		values[column++] = Float8GetDatum(latency_percentile(pattern->latency, pattern->calls, 0.50));
		values[column++] = Float8GetDatum(latency_percentile(pattern->latency, pattern->calls, 0.95));
		values[column++] = Float8GetDatum(latency_percentile(pattern->latency, pattern->calls, 0.99));
		values[column++] = Int64GetDatum(pattern->rows);
		values[column++] = Int64GetDatum(pattern->rows_from_workers);
		const char *ran = pattern->multi_shard_calls > 0 ? "multi-shard"
						  : pattern->single_shard_calls > 0 ? "single-shard"
															 : "router";
		values[column++] = CStringGetTextDatum(ran);
		values[column++] = Float8GetDatum(pattern->calls > 0 ? (double) pattern->shards_total / pattern->calls : 0);
		values[column++] = Int32GetDatum(pattern->max_shards);
		values[column++] = CStringGetTextDatum(pattern_tenants_text(pattern->tenants));
		values[column++] = TimestampTzGetDatum(pattern->first_seen);
		values[column] = ObjectIdGetDatum(pattern->filter_table);
		nulls[column++] = !OidIsValid(pattern->filter_table);
		values[column] = Int16GetDatum(pattern->filter_column);
		nulls[column++] = !OidIsValid(pattern->filter_table);
		tuplestore_putvalues(result_info->setResult, result_info->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* shale.tenant_stats_rows returns the tenants the counters hold; the view shale.tenant_stats names them. */
SHALE_FUNCTION(shale_tenant_stats_rows)
{
	require_attached();
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *result_info = (ReturnSetInfo *) fcinfo->resultinfo;
	for (int i = 0; i < TENANT_SLOTS; i++)
	{
		TenantCounter counter;
		SpinLockAcquire(&shared->tenants[i].mutex);
		counter = shared->tenants[i].counter;
		SpinLockRelease(&shared->tenants[i].mutex);
		if (counter.weight <= 0 || counter.statements == 0)
			continue;
		Datum values[6];
		bool nulls[6] = {false, false, false, false, false, false};
		values[0] = ObjectIdGetDatum(counter.table_id);
		values[1] = CStringGetTextDatum(counter.value);
		values[2] = Int64GetDatum(counter.hash);
		values[3] = Int64GetDatum(counter.statements);
		values[4] = Float8GetDatum(counter.total_ms);
		values[5] = Int64GetDatum(counter.rows);
		tuplestore_putvalues(result_info->setResult, result_info->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* shale.reset_query_stats forgets every pattern and tenant; returns how many patterns it forgot. */
SHALE_FUNCTION(shale_reset_query_stats)
{
	require_attached();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	int64 forgotten = 0;
	HASH_SEQ_STATUS status;
	hash_seq_init(&status, patterns);
	PatternEntry *entry;
	while ((entry = (PatternEntry *) hash_seq_search(&status)) != NULL)
	{
		hash_search(patterns, &entry->key, HASH_REMOVE, NULL);
		forgotten++;
	}
	shared->reset_at = GetCurrentTimestamp();
	LWLockRelease(shared->lock);
	for (int i = 0; i < TENANT_SLOTS; i++)
	{
		SpinLockAcquire(&shared->tenants[i].mutex);
		memset(&shared->tenants[i].counter, 0, sizeof(TenantCounter));
		SpinLockRelease(&shared->tenants[i].mutex);
	}
	PG_RETURN_INT64(forgotten);
}

/* shale.query_stats_info: how many patterns are kept, the limit, evictions, the last reset. */
SHALE_FUNCTION(shale_query_stats_info)
{
	require_attached();
	TupleDesc descriptor;
	if (get_call_result_type(fcinfo, NULL, &descriptor) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("shale.query_stats_info must return a record")));
	descriptor = BlessTupleDesc(descriptor);
	LWLockAcquire(shared->lock, LW_SHARED);
	int64 kept = hash_get_num_entries(patterns);
	TimestampTz reset_at = shared->reset_at;
	LWLockRelease(shared->lock);
	Datum values[4] = {Int64GetDatum(kept), Int32GetDatum(max_patterns),
					   Int64GetDatum((int64) pg_atomic_read_u64(&shared->evictions)), TimestampTzGetDatum(reset_at)};
	bool nulls[4] = {false, false, false, false};
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(descriptor, values, nulls)));
}
