// schema_snapshot.h — the schema of a database as JSON, read from its router's
// catalogs and the shale metadata: schemas, tables (columns, distribution,
// co-location, size), constraints, indexes, sequences, views and functions.
// Branches are built from a snapshot, deploy requests diff two of them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/pg_connection.h"

namespace shale {

// kHiddenPrefix starts the names of the columns and tables a deploy dropped:
// they are kept, renamed, until the revert window closes, and no snapshot
// shows them.
inline constexpr const char *kHiddenPrefix = "_shale_dropped_";

// read_schema_snapshot reads the schema of the router's database. Every name
// is schema-qualified and quoted (the key of a table is e.g. "public.orders").
// Throws std::runtime_error when a catalog query fails.
nlohmann::json read_schema_snapshot(const PgConnection &router);

// open_router connects as the superuser to the router of the cluster in dir;
// throws std::runtime_error when it cannot.
PgConnection open_router(const std::string &cluster_dir, const std::string &application_name);

}  // namespace shale
