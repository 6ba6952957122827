// state_schema.h — the control plane's tables in the state database (schema
// "control") and their migrations, applied in order at every start.
#pragma once

#include "common/pg_connection.h"

namespace shale {

// migrate_state_schema brings the schema to the newest version, each
// migration in its own transaction, under an advisory lock so that two
// starts never migrate at once. Returns the version it ended at; throws on failure.
int migrate_state_schema(const PgConnection &connection);

}  // namespace shale
