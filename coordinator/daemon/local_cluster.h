// local_cluster.h — what shaled knows about the machine it runs on: the cluster
// made by `shale up` (cluster.json: data directories, server OS user, whether
// replication is synchronous) and how to run server tools there. Without a
// cluster directory shaled still fails over, but cannot stop or rejoin nodes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/cluster_layout.h"
#include "common/logger.h"
#include "common/server_control.h"
#include "daemon/agent_leases.h"
#include "http/agent_client.h"

namespace shale {

class LocalCluster {
public:
    // load reads DIR/cluster.json when cluster_dir is given; failures are logged
    // and leave a LocalCluster that knows no local node.
    static LocalCluster load(const std::string &cluster_dir, Logger &logger);

    // node_at returns the local node listening on host:port, if any.
    const NodeSpec *node_at(const std::string &host, int port) const;
    // agent_node returns the node on host:port of a cluster on hosts (run by an agent), if any.
    const NodeSpec *agent_node(const std::string &host, int port) const;
    // agent_of is a client of the agent that runs node (an agent_node).
    AgentClient agent_of(const NodeSpec &node) const;
    // start_leases starts renewing the agents' leases while renew is true (clusters on hosts only).
    void start_leases(const std::atomic<bool> &renew, Logger &logger);
    // leases: nullptr unless started
    const AgentLeases *leases() const { return leases_.get(); }
    // control runs pg_ctl/pg_rewind; nullptr without a cluster directory.
    const ServerControl *control() const { return control_.get(); }
    // synchronous tells whether `shale up` chose synchronous replication.
    bool synchronous() const { return !layout_ || layout_->synchronous; }
    const std::string &dir() const { return dir_; }
    const std::optional<ClusterLayout> &layout() const { return layout_; }
    std::string server_log(const NodeSpec &node) const { return layout_ ? layout_->node_log(node) : ""; }

private:
    std::string dir_;
    std::optional<ClusterLayout> layout_;
    std::shared_ptr<ServerControl> control_;
    std::string agent_token_;
    std::shared_ptr<AgentLeases> leases_;
};

// is_local_host tells whether host names this machine's loopback interface.
bool is_local_host(const std::string &host);

}  // namespace shale
