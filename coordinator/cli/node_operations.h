// node_operations.h — the node steps `shale up`, `shale add-group` and `shale
// down` need, whoever carries them out: NodeControl runs the PostgreSQL tools
// on this machine (a local cluster, and every `shale agent` for its own host);
// AgentNodes asks the agents of a cluster on hosts to run them there. So a node
// on a host is made by exactly the code that makes a local one.
#pragma once

#include <vector>

#include "common/cluster_layout.h"

namespace shale {

class NodeOperations {
public:
    virtual ~NodeOperations() = default;
    // create_primaries runs initdb and writes the settings of new primaries.
    virtual void create_primaries(const std::vector<NodeSpec> &primaries) = 0;
    // create_replicas clones new replicas from their primaries and configures them.
    virtual void create_replicas(const std::vector<NodeSpec> &replicas) = 0;
    virtual void start(const std::vector<NodeSpec> &nodes) = 0;
    virtual void stop(const std::vector<NodeSpec> &nodes) = 0;
    // stop_running stops those of the nodes that run (clean-up after a failure; never throws).
    virtual void stop_running(const std::vector<NodeSpec> &nodes) noexcept = 0;
    // is_running tells whether the node's postmaster runs.
    virtual bool is_running(const NodeSpec &node) = 0;
};

}  // namespace shale
