// insights_advice.h — advice from the router's insights and catalog, each with
// its evidence and the exact statements to run:
//   distribution     a pattern on every shard filtering on one column: distribute by it
//   index            the same when the table cannot change its distribution: index the column
//   reference_table  a small distributed table joined from multi-shard patterns
//   hot_tenant       one distribution value with most of a table's statements: split it off
//   unused_index     no scans on any shard (pg_stat_user_indexes summed over the shards)
//   duplicate_index  the same key, operator classes and predicate as another index
// Advice whose condition no longer holds (the statement ran) is not listed;
// dismissed advice (shale_insights.dismissed) is listed apart.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/pg_connection.h"

namespace shale {

// compute_advice returns the advice for the patterns of a read_insights
// document; worker nodes are reached with password_file (empty: the
// process's own, see use_password_file). Throws InsightsError.
nlohmann::json compute_advice(const PgConnection &router, const nlohmann::json &insights,
                              const std::string &password_file);

// shard_index_name is the name of an index's copy on shard shard_id: the name
// with "_<shard_id>", cut to 63 bytes without splitting a UTF-8 character.
std::string shard_index_name(const std::string &index_name, long long shard_id);

// apply_advice runs the statements of one advice in order; returns their
// results ({"statement", "ok", "error"}); throws InsightsError when no such advice.
nlohmann::json apply_advice(const PgConnection &router, const nlohmann::json &advice_list, const std::string &id);

// dismiss_advice records a dismissal (false with *error when the router refuses).
bool dismiss_advice(const PgConnection &router, const std::string &id, std::string *error);

}  // namespace shale
