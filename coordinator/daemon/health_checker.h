// health_checker.h — checks whether nodes answer over libpq and whether they are
// in recovery (replica) or not (primary). Checks of many nodes run in parallel,
// each bounded by a time-out and interruptible by the stop flag.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace shale {

// NodeRecord is one row of shale.nodes.
struct NodeRecord {
    long long node_id = 0;
    std::string host;
    int port = 0;
    long long group_id = 0;
    std::string role;  // role recorded in the catalog: "primary" or "replica"
};

struct NodeHealth {
    bool reachable = false;
    bool in_recovery = false;
    std::string error;  // why it is unreachable
};

class HealthChecker {
public:
    explicit HealthChecker(std::chrono::milliseconds timeout) : timeout_(timeout) {}

    // check_node connects to one node and runs SELECT pg_is_in_recovery().
    NodeHealth check_node(const NodeRecord &node, const std::atomic<bool> &stop) const;
    // check_nodes checks every node in parallel; results are in the same order.
    std::vector<NodeHealth> check_nodes(const std::vector<NodeRecord> &nodes, const std::atomic<bool> &stop) const;

private:
    std::chrono::milliseconds timeout_;
};

}  // namespace shale
