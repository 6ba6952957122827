// insights_report.h — what the router's query patterns did during a window
// (15 minutes to 7 days): the history shaled keeps (insights_history.h) plus
// what happened since its last snapshot. Shared by `shale insights` and the
// control plane's GET /v1/databases/{id}/insights.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/pg_connection.h"

namespace shale {

inline constexpr long long kMinWindowSeconds = 60;
inline constexpr long long kMaxWindowSeconds = 7 * 24 * 3600;

// parse_insights_window reads "15m", "1h", "24h", "7d" (a number and m, h or
// d, from 1 minute to 7 days, no leading zero) into seconds; nullopt for anything else.
std::optional<long long> parse_insights_window(const std::string &text);

// InsightsError is a failure to read the router (its message says which query).
struct InsightsError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// read_insights returns {"window", "window_seconds", "history_since",
// "statistics_since", "patterns": [...], "tenants": [...], "info": {...}}: the
// `limit` patterns with the most time in the window. Turns statement
// measurement off for its own session. Throws InsightsError.
nlohmann::json read_insights(const PgConnection &router, const std::string &window, long long window_seconds,
                             int limit);

// router_json runs a query whose one value is JSON and parses it (InsightsError on failure).
nlohmann::json router_json(const PgConnection &router, const std::string &sql,
                           const std::vector<std::string> &params = {});

}  // namespace shale
