// node_monitor.h — one round of the active daemon's work: read the node list from
// the catalog, check every node, record each node's state through
// shale.set_node_state, and log changes. Later rounds will also drive failover.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "common/logger.h"
#include "daemon/health_checker.h"
#include "daemon/leader_lock.h"

namespace shale {

class NodeMonitor {
public:
    NodeMonitor(LeaderLock &leader_lock, Logger &logger)
        : leader_lock_(leader_lock), logger_(logger), checker_(std::chrono::milliseconds(2000)) {}

    // run_round does one check of every node; returns false when the router
    // connection failed (the caller then re-acquires the lock).
    bool run_round(const std::atomic<bool> &stop);

private:
    // read_nodes loads shale.nodes through the leader connection.
    bool read_nodes(std::vector<NodeRecord> &nodes, const std::atomic<bool> &stop);
    // record_state reports one node's state to the catalog.
    bool record_state(const NodeRecord &node, const std::string &state);
    // note_health logs a node's state when it changed since the last round.
    void note_health(const NodeRecord &node, const NodeHealth &health);
    // warn_on_change logs a warning about `topic` only when its message differs
    // from the previous one (repeats go to debug), so a persistent problem does
    // not fill the log once a second; clear_warning forgets the topic.
    void warn_on_change(const std::string &topic, const std::string &message);
    void clear_warning(const std::string &topic) { last_warning_.erase(topic); }

    LeaderLock &leader_lock_;
    Logger &logger_;
    HealthChecker checker_;
    std::map<long long, std::string> last_state_;  // node_id → last logged state
    std::map<std::string, std::string> last_warning_;  // topic → last warning logged
};

}  // namespace shale
