// node_monitor.cpp — the health-check round of the active shaled.
#include "daemon/node_monitor.h"

namespace shale {

using std::chrono::milliseconds;

bool NodeMonitor::read_nodes(std::vector<NodeRecord> &nodes, const std::atomic<bool> &stop)
{
    PgResult result = leader_lock_.connection().exec_with_deadline(
        "SELECT node_id, host, port, group_id, role FROM shale.nodes ORDER BY node_id", milliseconds(5000), &stop);
    if (!result.ok()) {
        warn_on_change("read_nodes", "cannot read shale.nodes: " + result.error_message());
        return false;
    }
    clear_warning("read_nodes");
    for (int row = 0; row < result.rows(); row++) {
        NodeRecord node;
        node.node_id = std::stoll(result.value(row, 0));
        node.host = result.value(row, 1);
        node.port = std::stoi(result.value(row, 2));
        node.group_id = result.is_null(row, 3) ? 0 : std::stoll(result.value(row, 3));
        node.role = result.value(row, 4);
        nodes.push_back(node);
    }
    return true;
}

bool NodeMonitor::record_state(const NodeRecord &node, const std::string &state)
{
    PgResult result = leader_lock_.connection().exec_params("SELECT shale.set_node_state($1, $2)",
                                                            {std::to_string(node.node_id), state});
    const std::string topic = "set_node_state " + std::to_string(node.node_id);
    if (!result.ok()) {
        warn_on_change(topic, "shale.set_node_state(" + std::to_string(node.node_id) + ", '" + state +
                                  "') failed: " + result.error_message());
        return false;
    }
    clear_warning(topic);
    return true;
}

void NodeMonitor::warn_on_change(const std::string &topic, const std::string &message)
{
    auto previous = last_warning_.find(topic);
    if (previous != last_warning_.end() && previous->second == message) {
        logger_.debug(message);
        return;
    }
    logger_.warn(message);
    last_warning_[topic] = message;
}

void NodeMonitor::note_health(const NodeRecord &node, const NodeHealth &health)
{
    std::string state = !health.reachable ? "down" : (health.in_recovery ? "up (in recovery)" : "up (primary)");
    auto previous = last_state_.find(node.node_id);
    if (previous != last_state_.end() && previous->second == state)
        return;
    std::string description = "node " + std::to_string(node.node_id) + " (" + node.host + ":" +
                              std::to_string(node.port) + ", group " + std::to_string(node.group_id) + ", " +
                              node.role + ")";
    if (health.reachable)
        logger_.info(description + " is " + state);
    else
        logger_.warn(description + " is down: " + health.error);
    if (health.reachable && (node.role == "primary") == health.in_recovery)
        logger_.warn(description + " is recorded as " + node.role + " but pg_is_in_recovery() is " +
                     (health.in_recovery ? "true" : "false"));
    last_state_[node.node_id] = state;
}

bool NodeMonitor::run_round(const std::atomic<bool> &stop)
{
    std::vector<NodeRecord> nodes;
    if (!read_nodes(nodes, stop))
        return leader_lock_.connection().ok();
    std::vector<NodeHealth> health = checker_.check_nodes(nodes, stop);
    if (stop.load())
        return true;
    for (size_t index = 0; index < nodes.size(); index++) {
        note_health(nodes[index], health[index]);
        if (!record_state(nodes[index], health[index].reachable ? "up" : "down") && !leader_lock_.connection().ok())
            return false;
    }
    logger_.debug("checked " + std::to_string(nodes.size()) + " nodes");
    return true;
}

}  // namespace shale
