// health_checker.cpp — libpq health checks of nodes.
#include "daemon/health_checker.h"

#include <future>

#include "common/pg_connection.h"

namespace shale {

NodeHealth HealthChecker::check_node(const NodeRecord &node, const std::atomic<bool> &stop) const
{
    NodeHealth health;
    PgConnection connection = PgConnection::connect_with_deadline(
        node_conninfo(node.host, node.port) + " application_name=shaled_health", timeout_, &stop);
    if (!connection.ok()) {
        health.error = connection.error_message();
        return health;
    }
    PgResult result = connection.exec_with_deadline("SELECT pg_is_in_recovery()", timeout_, &stop);
    if (!result.ok() || result.rows() != 1) {
        health.error = result.error_message();
        return health;
    }
    health.reachable = true;
    health.in_recovery = result.value(0, 0) == "t";
    return health;
}

std::vector<NodeHealth> HealthChecker::check_nodes(const std::vector<NodeRecord> &nodes,
                                                   const std::atomic<bool> &stop) const
{
    std::vector<std::future<NodeHealth>> pending;
    pending.reserve(nodes.size());
    for (const auto &node : nodes)
        pending.push_back(std::async(std::launch::async, [this, &node, &stop]() { return check_node(node, stop); }));
    std::vector<NodeHealth> results;
    results.reserve(nodes.size());
    for (auto &future : pending)
        results.push_back(future.get());
    return results;
}

}  // namespace shale
