// deploy_executor.h — runs a deploy request's steps on the parent's router,
// online: each statement with a short lock_timeout, retried when it times out
// so that no application statement queues behind a DDL lock for long;
// CREATE INDEX CONCURRENTLY outside a transaction (the extension builds it on
// every shard). A failed step undoes itself and every step before it, so the
// parent ends unchanged or, when an undo fails too, says what is left.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/pg_connection.h"

namespace shale {

// DeployOutcome says how a deploy or revert ended.
struct DeployOutcome {
    bool succeeded = false;
    std::string error;          // what failed (empty on success)
    std::string parent_state;   // "changed", "unchanged", "reverted" or "partly changed: …"
    nlohmann::json steps;       // the steps with their states, times, attempts and errors
};

using StepsProgress = std::function<void(const nlohmann::json &steps)>;

// run_deploy runs every step's statements in order, calling on_progress after
// each change of a step's state.
DeployOutcome run_deploy(const PgConnection &router, nlohmann::json steps, const std::string &request_id,
                         const StepsProgress &on_progress);

// run_revert runs the revert statements of the deployed steps, last step first.
DeployOutcome run_revert(const PgConnection &router, nlohmann::json steps, const std::string &request_id,
                         const StepsProgress &on_progress);

// remove_kept_objects drops the columns and tables a deploy kept hidden for
// its revert window; returns how many it removed.
int remove_kept_objects(const PgConnection &router, const nlohmann::json &kept, const std::string &request_id);

}  // namespace shale
