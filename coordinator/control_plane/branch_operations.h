// branch_operations.h — the operations of branches and deploy requests, run
// by the operation runner: branch (a new database from its parent's schema,
// or from its backups at a point), reset, deploy, revert and deploy_cleanup
// (the hidden objects of a deploy removed when its revert window closes).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/cluster_layout.h"
#include "common/logger.h"
#include "control_plane/operation_steps.h"
#include "control_plane/serve_config.h"
#include "control_plane/state_store.h"

namespace shale {

// OperationContext is what the runner hands to an operation: its row, its
// database, and the runner's shared steps (ports, recording a new cluster,
// following a child's progress).
struct OperationContext {
    StateStore &store;
    const ServeConfig &config;
    Logger &logger;
    std::string operation_id;
    nlohmann::json database;  // the row of control.databases
    nlohmann::json args;      // the operation's arguments (source_dir added for a source_id)
    OperationSteps &steps;
    std::function<int()> allocate_ports;                                 // the allocate_ports step
    std::function<void(const std::string &tool)> record_new_cluster;
    std::function<void(pid_t)> record_pid;
    std::function<void(const std::string &)> follow_up;
};

// is_branching_operation is true for the kinds below.
bool is_branching_operation(const std::string &kind);

// branching_step_names lists the steps of those kinds.
std::vector<std::string> branching_step_names(const std::string &kind);

// run_branching_operation runs one; throws std::runtime_error when it fails.
void run_branching_operation(const std::string &kind, OperationContext &context);

// fail_branching_operation records the failure on the database or deploy
// request (a failed branch is removed like a failed creation).
void fail_branching_operation(const std::string &kind, OperationContext &context, const std::string &message);

// queue_branch_housekeeping queues the work the clock asks for: the deletion
// of branches past their TTL, and the removal of the objects a deploy kept
// hidden once its revert window has closed.
void queue_branch_housekeeping(StateStore &store);

// snapshot_of reads the schema snapshot of the cluster in dir.
nlohmann::json snapshot_of(const std::string &dir);

}  // namespace shale
