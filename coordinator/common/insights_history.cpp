// insights_history.cpp — see insights_history.h.
#include "common/insights_history.h"

#include <vector>

namespace shale {

namespace {

const char *const kSchemaSql =
    "CREATE SCHEMA IF NOT EXISTS shale_insights;"
    // the text and shape of every pattern that has history
    "CREATE TABLE IF NOT EXISTS shale_insights.pattern ("
    " query_id bigint NOT NULL, user_name text NOT NULL, database_name text NOT NULL,"
    " query text NOT NULL, ran_on text, last_seen timestamptz NOT NULL,"
    " PRIMARY KEY (query_id, user_name, database_name));"
    // the cumulative counters of shale.query_stats at the last snapshot
    "CREATE TABLE IF NOT EXISTS shale_insights.reading ("
    " query_id bigint NOT NULL, user_name text NOT NULL, database_name text NOT NULL,"
    " calls bigint NOT NULL, errors bigint NOT NULL, total_ms float8 NOT NULL, rows bigint NOT NULL,"
    " rows_from_workers bigint NOT NULL, read_at timestamptz NOT NULL,"
    " PRIMARY KEY (query_id, user_name, database_name));"
    // what each pattern did during [bucket_start, bucket_start + bucket_seconds)
    "CREATE TABLE IF NOT EXISTS shale_insights.bucket ("
    " bucket_seconds int NOT NULL, bucket_start timestamptz NOT NULL,"
    " query_id bigint NOT NULL, user_name text NOT NULL, database_name text NOT NULL,"
    " calls bigint NOT NULL, errors bigint NOT NULL, total_ms float8 NOT NULL, rows bigint NOT NULL,"
    " rows_from_workers bigint NOT NULL,"
    " PRIMARY KEY (bucket_seconds, bucket_start, query_id, user_name, database_name));"
    "CREATE INDEX IF NOT EXISTS bucket_pattern ON shale_insights.bucket (query_id, user_name, database_name);"
    "CREATE INDEX IF NOT EXISTS bucket_start ON shale_insights.bucket (bucket_start);"
    "CREATE TABLE IF NOT EXISTS shale_insights.state (key text PRIMARY KEY, value text);"
    // advice a user dismissed (shale insights dismiss ID)
    "CREATE TABLE IF NOT EXISTS shale_insights.dismissed ("
    " advice_id text PRIMARY KEY, dismissed_at timestamptz NOT NULL DEFAULT now());";

}  // namespace

// The counters shaled's own connection sees (it is a superuser: every role's patterns).
const char *const kInsightsCurrentStats =
    "now_stats AS (SELECT query_id, coalesce(user_name::text, '') AS user_name,"
    " coalesce(database_name::text, '') AS database_name, query, ran_on, calls, errors,"
    " total_ms::float8 AS total_ms, rows, rows_from_workers FROM shale.query_stats)";

std::string insights_increments_sql()
{
    // a pattern whose calls went down was forgotten and measured again: all it has is new
    const std::string since_reading = " - CASE WHEN r.calls IS NULL OR r.calls > n.calls THEN 0 ELSE r.";
    std::string columns;
    for (const char *counter : {"calls", "errors", "total_ms", "rows", "rows_from_workers"})
        columns += std::string(", n.") + counter + since_reading + counter + " END AS " + counter;
    return "SELECT n.query_id, n.user_name, n.database_name, n.query, n.ran_on" + columns +
           " FROM now_stats n LEFT JOIN shale_insights.reading r ON r.query_id = n.query_id"
           " AND r.user_name = n.user_name AND r.database_name = n.database_name"
           // readings of before a reset (or a router restart) do not apply
           " AND (SELECT value FROM shale_insights.state WHERE key = 'reset_at')"
           " IS NOT DISTINCT FROM (SELECT reset_at::text FROM shale.query_stats_info())";
}

namespace {

// A shale.query_stats_info().reset_at other than the one of the last snapshot
// (a reset, a router restart or failover): the readings no longer apply.
const char *const kForgetReadingsAfterReset =
    "DELETE FROM shale_insights.reading WHERE (SELECT value FROM shale_insights.state WHERE key = 'reset_at')"
    " IS DISTINCT FROM (SELECT reset_at::text FROM shale.query_stats_info())";

const char *const kRememberReset =
    "INSERT INTO shale_insights.state VALUES ('reset_at', (SELECT reset_at::text FROM shale.query_stats_info())),"
    " ('snapshot_at', now()::text) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

// Rolls buckets of `from` seconds older than `age` into buckets of `to` seconds.
std::string rollup_sql(int from, int to, const char *age)
{
    std::string sum =
        " calls = shale_insights.bucket.calls + excluded.calls, errors = shale_insights.bucket.errors + excluded.errors,"
        " total_ms = shale_insights.bucket.total_ms + excluded.total_ms, rows = shale_insights.bucket.rows + excluded.rows,"
        " rows_from_workers = shale_insights.bucket.rows_from_workers + excluded.rows_from_workers";
    return "WITH moved AS (DELETE FROM shale_insights.bucket WHERE bucket_seconds = " + std::to_string(from) +
           " AND bucket_start < now() - interval '" + age +
           "' RETURNING *) INSERT INTO shale_insights.bucket SELECT " + std::to_string(to) +
           ", to_timestamp(floor(extract(epoch FROM bucket_start) / " + std::to_string(to) + ") * " +
           std::to_string(to) +
           "), query_id, user_name, database_name, sum(calls), sum(errors), sum(total_ms), sum(rows),"
           " sum(rows_from_workers) FROM moved GROUP BY 2, 3, 4, 5"
           " ON CONFLICT (bucket_seconds, bucket_start, query_id, user_name, database_name) DO UPDATE SET" +
           sum;
}

// run_all runs statements in order, stopping at the first failure.
bool run_all(const PgConnection &router, const std::vector<std::string> &statements, std::string *error)
{
    for (const std::string &statement : statements) {
        PgResult result = router.exec(statement);
        if (!result.ok()) {
            if (error != nullptr)
                *error = result.error_message();
            return false;
        }
    }
    return true;
}

}  // namespace

bool ensure_insights_schema(const PgConnection &router, std::string *error)
{
    if (insights_schema_exists(router))
        return true;
    return run_all(router, {kSchemaSql}, error);
}

bool insights_schema_exists(const PgConnection &router)
{
    auto value = router.query_value("SELECT to_regclass('shale_insights.dismissed') IS NOT NULL");
    return value && *value == "t";
}

bool take_insights_snapshot(const PgConnection &router, std::string *error)
{
    if (!ensure_insights_schema(router, error))
        return false;
    const std::string per_pattern = "(query_id, user_name, database_name)";
    const std::string key = " USING (query_id, user_name, database_name)";
    const std::string delta = "delta AS (" + insights_increments_sql() + ")";
    const std::string snapshot =
        std::string("WITH ") + kInsightsCurrentStats + ", " + delta +
        ", top AS (SELECT * FROM delta WHERE calls > 0 ORDER BY total_ms DESC LIMIT " +
        std::to_string(kHistoryPatternsPerBucket) +
        "), saved_readings AS (INSERT INTO shale_insights.reading SELECT query_id, user_name, database_name, calls,"
        " errors, total_ms, rows, rows_from_workers, now() FROM now_stats ON CONFLICT " + per_pattern +
        " DO UPDATE SET calls = excluded.calls, errors = excluded.errors, total_ms = excluded.total_ms,"
        " rows = excluded.rows, rows_from_workers = excluded.rows_from_workers, read_at = excluded.read_at),"
        " saved_patterns AS (INSERT INTO shale_insights.pattern SELECT query_id, user_name, database_name, query,"
        " ran_on, now() FROM top ON CONFLICT " + per_pattern +
        " DO UPDATE SET query = excluded.query, ran_on = excluded.ran_on, last_seen = excluded.last_seen)"
        " INSERT INTO shale_insights.bucket SELECT 60, date_trunc('minute', now()), query_id, user_name,"
        " database_name, calls, errors, total_ms, rows, rows_from_workers FROM top"
        " ON CONFLICT (bucket_seconds, bucket_start, query_id, user_name, database_name) DO UPDATE SET"
        " calls = shale_insights.bucket.calls + excluded.calls, errors = shale_insights.bucket.errors + excluded.errors,"
        " total_ms = shale_insights.bucket.total_ms + excluded.total_ms, rows = shale_insights.bucket.rows + excluded.rows,"
        " rows_from_workers = shale_insights.bucket.rows_from_workers + excluded.rows_from_workers";
    std::vector<std::string> statements = {
        "BEGIN",
        // one snapshot at a time (two daemons during a handover, a CLI)
        "LOCK TABLE shale_insights.reading IN SHARE ROW EXCLUSIVE MODE",
        kForgetReadingsAfterReset,
        snapshot,
        "DELETE FROM shale_insights.reading WHERE read_at < now()",  // patterns the router forgot
        kRememberReset,
        rollup_sql(60, 900, "2 hours"),
        rollup_sql(900, 3600, "2 days"),
        "DELETE FROM shale_insights.bucket WHERE bucket_start < now() - interval '7 days 1 hour'",
        // the hard bound: the oldest buckets beyond kHistoryMaxRows rows
        "DELETE FROM shale_insights.bucket WHERE bucket_start <= (SELECT bucket_start FROM shale_insights.bucket"
        " ORDER BY bucket_start DESC OFFSET " + std::to_string(kHistoryMaxRows) + " LIMIT 1)",
        "DELETE FROM shale_insights.pattern p WHERE NOT EXISTS (SELECT 1 FROM shale_insights.bucket b"
        " WHERE b.query_id = p.query_id AND b.user_name = p.user_name AND b.database_name = p.database_name)",
        "COMMIT"};
    if (run_all(router, statements, error))
        return true;
    router.exec("ROLLBACK");
    return false;
}

long long history_rows(const PgConnection &router)
{
    if (!insights_schema_exists(router))
        return 0;
    auto value = router.query_value("SELECT count(*) FROM shale_insights.bucket");
    return value ? std::stoll(*value) : -1;
}

}  // namespace shale
