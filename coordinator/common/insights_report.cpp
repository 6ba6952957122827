// insights_report.cpp — see insights_report.h.
#include "common/insights_report.h"

#include "common/insights_history.h"

namespace shale {

std::optional<long long> parse_insights_window(const std::string &text)
{
    if (text.size() < 2 || text.size() > 6 || text[0] == '0')  // no leading zero: one spelling per window
        return std::nullopt;
    long long number = 0;
    for (size_t index = 0; index + 1 < text.size(); index++) {
        if (text[index] < '0' || text[index] > '9')
            return std::nullopt;
        number = number * 10 + (text[index] - '0');
    }
    long long unit = 0;
    switch (text.back()) {
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
    }
    long long seconds = number * unit;
    if (seconds < kMinWindowSeconds || seconds > kMaxWindowSeconds)
        return std::nullopt;
    return seconds;
}

nlohmann::json router_json(const PgConnection &router, const std::string &sql, const std::vector<std::string> &params)
{
    PgResult result = params.empty() ? router.exec(sql) : router.exec_params(sql, params);
    if (!result.ok())
        throw InsightsError("cannot read insights from the router: " + result.error_message());
    if (result.rows() == 0 || result.is_null(0, 0))
        return nullptr;
    return nlohmann::json::parse(result.value(0, 0));
}

namespace {

// The window's increments: the history's buckets inside it plus what happened
// since the last snapshot (everything since the statistics began when shaled
// never took one).
std::string window_totals_sql(bool with_history)
{
    const std::string sums = "sum(calls) AS calls, sum(errors) AS errors, sum(total_ms) AS total_ms, "
                             "sum(rows) AS rows, sum(rows_from_workers) AS rows_from_workers";
    std::string live =
        with_history
            ? "SELECT query_id, user_name, database_name, calls, errors, total_ms, rows, rows_from_workers FROM (" +
                  insights_increments_sql() + ") since_snapshot"
            : "SELECT query_id, user_name, database_name, calls, errors, total_ms, rows, rows_from_workers FROM now_stats";
    std::string history = with_history
                              ? " UNION ALL SELECT query_id, user_name, database_name, calls, errors, total_ms, rows,"
                                " rows_from_workers FROM shale_insights.bucket"
                                " WHERE bucket_start >= now() - $1::bigint * interval '1 second'"
                              : " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE $1::bigint < 0";
    return std::string("WITH ") + kInsightsCurrentStats + ", totals AS (SELECT query_id, user_name, database_name, " +
           sums + " FROM (" + live + history + ") increments GROUP BY 1, 2, 3)";
}

}  // namespace

nlohmann::json read_insights(const PgConnection &router, const std::string &window, long long window_seconds,
                             int limit)
{
    const bool with_history = insights_schema_exists(router);
    const std::string pattern_source =
        with_history ? " LEFT JOIN shale_insights.pattern p USING (query_id, user_name, database_name)" : "";
    const std::string pattern_text = with_history ? "coalesce(s.query, p.query)" : "s.query";
    const std::string pattern_ran_on = with_history ? "coalesce(s.ran_on, p.ran_on)" : "s.ran_on";
    std::string patterns_sql =
        window_totals_sql(with_history) +
        " SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.total_ms DESC), '[]') FROM ("
        " SELECT t.query_id::text AS query_id, t.user_name, t.database_name, " + pattern_text + " AS query,"
        " t.calls, t.errors, round(t.total_ms::numeric, 3) AS total_ms,"
        " round((t.total_ms / nullif(t.calls, 0))::numeric, 3) AS mean_ms, t.rows, t.rows_from_workers,"
        " " + pattern_ran_on + " AS ran_on, s.p50_ms, s.p95_ms, s.p99_ms, s.mean_shards, s.max_shards, s.top_tenants,"
        " s.fanout_filter_table::text AS fanout_filter_table, s.fanout_filter_column::text AS fanout_filter_column"
        " FROM totals t LEFT JOIN (SELECT query_id, coalesce(user_name::text, '') AS user_name,"
        " coalesce(database_name::text, '') AS database_name, query, ran_on, p50_ms, p95_ms, p99_ms, mean_shards,"
        " max_shards, top_tenants, fanout_filter_table, fanout_filter_column FROM shale.query_stats) s"
        " USING (query_id, user_name, database_name)" + pattern_source +
        " WHERE t.calls > 0 ORDER BY t.total_ms DESC LIMIT " + std::to_string(limit) + ") t";
    nlohmann::json document;
    document["window"] = window;
    document["window_seconds"] = window_seconds;
    document["patterns"] = router_json(router, patterns_sql, {std::to_string(window_seconds)});
    document["tenants"] = router_json(
        router,
        "SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.statements DESC), '[]') FROM (SELECT table_name::text,"
        " tenant, statements, total_ms, rows, percent_of_statements FROM shale.tenant_stats"
        " ORDER BY statements DESC LIMIT 20) t");
    nlohmann::json info = router_json(router, "SELECT row_to_json(i) FROM shale.query_stats_info() i");
    document["info"] = info;
    // percentiles, shards and tenants are the router's, since its statistics began
    document["statistics_since"] = info.is_object() ? info["reset_at"] : nlohmann::json(nullptr);
    document["history_since"] =
        with_history ? router_json(router, "SELECT to_json(min(bucket_start)) FROM shale_insights.bucket")
                     : nlohmann::json(nullptr);
    document["last_snapshot_at"] =
        with_history ? router_json(router, "SELECT to_json(value) FROM shale_insights.state WHERE key = 'snapshot_at'")
                     : nlohmann::json(nullptr);
    return document;
}

}  // namespace shale
