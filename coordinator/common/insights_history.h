// insights_history.h — the history of query insights, kept in the router's
// database in a schema of shaled's own (shale_insights): shaled snapshots
// shale.query_stats every minute and stores what each pattern did since the
// previous snapshot (calls, errors, time, rows), in buckets that get coarser
// with age (1 minute for 2 hours, 15 minutes for 2 days, 1 hour for 7 days).
// The tables are bounded: kHistoryPatternsPerBucket patterns a minute and at
// most kHistoryMaxRows rows in all (the oldest buckets go first).
#pragma once

#include <string>

#include "common/pg_connection.h"

namespace shale {

inline constexpr const char *kInsightsSchema = "shale_insights";
inline constexpr int kHistoryPatternsPerBucket = 200;
inline constexpr long long kHistoryMaxRows = 100000;

// kInsightsCurrentStats is a WITH item, now_stats, of shale.query_stats with
// user_name and database_name never NULL (the key of a pattern's history).
extern const char *const kInsightsCurrentStats;

// insights_increments_sql is a SELECT over now_stats of what each pattern did
// since the last snapshot's reading (everything, after a reset).
std::string insights_increments_sql();

// ensure_insights_schema creates shale_insights and its tables when missing
// (idempotent); returns false with *error on failure.
bool ensure_insights_schema(const PgConnection &router, std::string *error);

// insights_schema_exists tells whether shaled (or a dismissal) created it.
bool insights_schema_exists(const PgConnection &router);

// take_insights_snapshot stores what every pattern did since the previous
// snapshot, rolls old buckets into coarser ones and enforces the bounds, in
// one transaction. Returns false with *error on failure.
bool take_insights_snapshot(const PgConnection &router, std::string *error);

// history_rows counts the rows kept (for /metrics); -1 when unknown.
long long history_rows(const PgConnection &router);

}  // namespace shale
