// change_stream.h — follows the source: streams changes from the import's slot
// over the replication protocol (START_REPLICATION ... LOGICAL with pgoutput),
// applies them through ChangeApplier, and confirms to the source only what
// Shale has committed, so the slot resumes where Shale left off after any
// crash. Reconnects to either side when a connection is lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "import/distribution_plan.h"
#include "import/source_catalog.h"

namespace shale::import {

struct FollowOptions {
    std::string source_uri, target_uri, slot, publication;
    const std::atomic<bool> *stop = nullptr;  // set by SIGTERM / SIGINT: finish the batch and return
    std::uint64_t until_lsn = 0;              // > 0: return once everything before this LSN is applied
    // Called (with the LSN reached) each time until_lsn is reached: returns the
    // next LSN to reach on the same stream, or 0 to return. The cutover blocks
    // the source's writes here, so the last changes need no new connections.
    std::function<std::uint64_t(std::uint64_t)> on_caught_up;
    int reconnect_timeout_s = 300;            // give up when a side stays unreachable this long
    std::function<void(const nlohmann::json &)> report;  // progress, about once a second
};

// follow_changes streams and applies until stopped or, with until_lsn, caught up;
// returns the LSN confirmed last. Throws CliError when Shale refuses a change
// or a side stays unreachable.
std::uint64_t follow_changes(const SourceCatalog &catalog, const ImportPlan &plan, const FollowOptions &options);

}  // namespace shale::import
