// import_context.h — what every step after `start` needs from a state
// directory: the source's catalog read again, the plan the import was started
// with, and the follow options with a status writer.
#pragma once

#include <atomic>

#include "common/pg_connection.h"
#include "import/change_stream.h"
#include "import/distribution_plan.h"
#include "import/import_state.h"
#include "import/source_catalog.h"

namespace shale::import {

struct ImportContext {
    SourceCatalog catalog;
    ImportPlan plan;
};

// load_context reads the source's catalog and the plan stored in the state.
ImportContext load_context(const ImportState &state);

// follow_options fills FollowOptions from the state; progress goes to status.json.
FollowOptions follow_options(const ImportState &state, const std::atomic<bool> *stop, std::uint64_t until_lsn);

// remove_import undoes an import that has not cut over: on the source the
// write freeze, the slot, the publication and REPLICA IDENTITY changes; on
// Shale every object the import created. Returns the problems left (empty when
// everything is gone), printing what it removed.
std::vector<std::string> remove_import(ImportState &state);

// restore_replica_identities gives the source's tables back the replica
// identity the import changed (abort, and the cutover once the slot is gone),
// noting failures in `left`.
void restore_replica_identities(const PgConnection &source, const ImportState &state, std::vector<std::string> &left);

}  // namespace shale::import
