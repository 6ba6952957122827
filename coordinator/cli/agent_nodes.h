// agent_nodes.h — NodeOperations for a cluster on hosts: every step is a call
// to the `shale agent` of the node's host (the agent runs NodeControl there),
// the nodes of several hosts in parallel. Also the agent clients of a layout
// and the checks `shale up --host` makes before it creates anything.
#pragma once

#include <string>
#include <vector>

#include "cli/node_operations.h"
#include "http/agent_client.h"

namespace shale {

// agent_client_for returns a client of host `index` of the layout (its token from token).
AgentClient agent_client_for(const ClusterLayout &layout, int index, const std::string &token);

class AgentNodes : public NodeOperations {
public:
    // layout: data directories are filled in as the agents report them;
    // password: the superuser's, given to initdb and the agents' tools.
    AgentNodes(ClusterLayout &layout, std::string token, std::string password)
        : layout_(layout), token_(std::move(token)), password_(std::move(password))
    {
    }

    void create_primaries(const std::vector<NodeSpec> &primaries) override;
    void create_replicas(const std::vector<NodeSpec> &replicas) override;
    void start(const std::vector<NodeSpec> &nodes) override;
    void stop(const std::vector<NodeSpec> &nodes) override;
    void stop_running(const std::vector<NodeSpec> &nodes) noexcept override;
    bool is_running(const NodeSpec &node) override;

private:
    // for_each_node runs one agent call per node in parallel and throws listing every failure.
    void for_each_node(const std::string &step, const std::vector<NodeSpec> &nodes,
                       const std::function<void(const NodeSpec &, AgentClient &)> &call);
    // create asks the node's agent to create it (initdb, or a clone of its primary).
    void create(const NodeSpec &node, AgentClient &agent);

    ClusterLayout &layout_;
    std::string token_;
    std::string password_;
};

}  // namespace shale
