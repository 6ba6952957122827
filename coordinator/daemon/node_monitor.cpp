// node_monitor.cpp — the health-check round of the active shaled.
#include "daemon/node_monitor.h"

#include <nlohmann/json.hpp>

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

bool NodeMonitor::record_health(const std::vector<NodeRecord> &nodes, const std::vector<NodeHealth> &health)
{
    nlohmann::json checks = nlohmann::json::array();
    for (size_t index = 0; index < nodes.size(); index++) {
        const NodeHealth &check = health[index];
        nlohmann::json row = {{"node_id", nodes[index].node_id}, {"reachable", check.reachable}};
        if (check.reachable) {
            row["in_recovery"] = check.in_recovery;
            row["timeline"] = check.timeline > 0 ? nlohmann::json(check.timeline) : nlohmann::json();
            row["wal_lsn"] = check.wal_lsn.empty() ? nlohmann::json() : nlohmann::json(check.wal_lsn);
            row["latency"] = check.latency_ms;
        } else {
            row["error"] = check.error;
        }
        checks.push_back(row);
    }
    // A replica's lag is measured against its group's primary checked in the
    // same round.
    static const char *kRecordHealth =
        "WITH checked AS (SELECT * FROM json_to_recordset($1::json) AS c(node_id int, reachable bool, "
        "in_recovery bool, timeline int, wal_lsn pg_lsn, latency double precision, error text)), "
        "measured AS (SELECT c.*, CASE WHEN c.in_recovery THEN greatest(pg_wal_lsn_diff(p.wal_lsn, c.wal_lsn), 0)::bigint "
        "END AS lag FROM checked c JOIN shale.node n ON n.node_id = c.node_id "
        "LEFT JOIN shale.node pn ON pn.group_id = n.group_id AND pn.role = 'primary' "
        "LEFT JOIN checked p ON p.node_id = pn.node_id AND p.reachable AND NOT p.in_recovery), "
        "saved AS (INSERT INTO shale.node_health AS h (node_id, checked_at, reachable, in_recovery, timeline, "
        "wal_lsn, lag_bytes, check_latency_ms, error) SELECT node_id, now(), reachable, in_recovery, timeline, "
        "wal_lsn, lag, latency, error FROM measured ON CONFLICT (node_id) DO UPDATE SET checked_at = "
        "EXCLUDED.checked_at, reachable = EXCLUDED.reachable, in_recovery = EXCLUDED.in_recovery, timeline = "
        "EXCLUDED.timeline, wal_lsn = EXCLUDED.wal_lsn, lag_bytes = EXCLUDED.lag_bytes, check_latency_ms = "
        "EXCLUDED.check_latency_ms, error = EXCLUDED.error RETURNING 1) "
        "SELECT count(shale.set_node_state(c.node_id, CASE WHEN c.reachable THEN 'up' ELSE 'down' END)) "
        "FROM checked c JOIN shale.node n ON n.node_id = c.node_id";
    // Health rows and up/down states are written again every round, so their
    // commit need not wait for the router's synchronous standby: when that
    // standby is cut off (its host partitioned), a waiting commit would stop
    // the very rounds that must notice it and degrade the router group.
    const PgConnection &router = leader_lock_.connection();
    router.exec("BEGIN");
    router.exec("SET LOCAL synchronous_commit = local");
    PgResult saved = router.exec_params(kRecordHealth, {checks.dump()});
    PgResult committed = router.exec(saved.ok() ? "COMMIT" : "ROLLBACK");
    if (saved.ok() && !committed.ok())
        saved = std::move(committed);
    if (!saved.ok()) {
        warn_on_change("record_health", "cannot record health checks: " + saved.error_message());
        return false;
    }
    clear_warning("record_health");
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
    last_nodes_ = nodes;
    for (size_t index = 0; index < nodes.size(); index++)
        note_health(nodes[index], health[index]);
    if (!record_health(nodes, health) && !leader_lock_.connection().ok())
        return false;
    if (failover_ != nullptr)
        failover_->run_round(leader_lock_.connection(), nodes, health);
    logger_.debug("checked " + std::to_string(nodes.size()) + " nodes");
    return true;
}

}  // namespace shale
