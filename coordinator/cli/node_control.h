// node_control.h — runs the PostgreSQL tools on the nodes of a local cluster:
// initdb, configuration files, pg_basebackup, pg_ctl start/stop, and tells
// whether a node's postmaster is running. Tools run as the server OS user, with
// their output in logs/<node>.setup.log; several can run in parallel.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/node_operations.h"
#include "common/cluster_layout.h"
#include "common/os_user.h"

namespace shale {

// extension_disabled is true when SHALE_NO_EXTENSION=1 (developer switch: no
// shared_preload_libraries, no CREATE EXTENSION, no node registration).
bool extension_disabled();
// check_extension_installed throws a clear error when the shale extension files
// are missing (unless the extension is disabled).
void check_extension_installed();

class NodeControl : public NodeOperations {
public:
    NodeControl(const ClusterLayout &layout, const OsUser &user) : layout_(layout), user_(user) {}

    // NodeOperations, on this machine
    void create_primaries(const std::vector<NodeSpec> &primaries) override;
    void create_replicas(const std::vector<NodeSpec> &replicas) override;
    bool is_running(const NodeSpec &node) override { return postmaster_pid(node).has_value(); }

    // One step for several nodes at once: every node's tool runs in parallel and
    // the call throws after all finished if any failed.
    void initdb(const std::vector<NodeSpec> &nodes);
    void base_backup(const std::vector<NodeSpec> &replicas);
    void start(const std::vector<NodeSpec> &nodes) override;
    void stop(const std::vector<NodeSpec> &nodes) override;
    // stop_running stops those of the nodes that run, for clean-up after a failure:
    // best effort, it never throws (the failure itself is what the user sees).
    void stop_running(const std::vector<NodeSpec> &nodes) noexcept override;

    // configure_primary writes the server settings and pg_hba.conf of a new primary.
    void configure_primary(const NodeSpec &node) const;
    // configure_replica points a fresh base backup at its own port and its primary.
    void configure_replica(const NodeSpec &node) const;

    // postmaster_pid returns the pid of the node's running postmaster, if any.
    static std::optional<pid_t> postmaster_pid(const NodeSpec &node);

private:
    struct Job {
        NodeSpec node;
        std::vector<std::string> argv;
    };
    // run_jobs spawns every job, waits for all, and throws listing the failures
    // with the end of each failed node's logs.
    void run_jobs(const std::string &step, const std::vector<Job> &jobs) const;
    std::string setup_log(const NodeSpec &node) const { return layout_.log_dir() + "/" + node.name + ".setup.log"; }

    const ClusterLayout &layout_;
    const OsUser &user_;
};

}  // namespace shale
