// node_monitor.h — one round of the active daemon's work: read the node list from
// the catalog, check every node, record every check in shale.node_health and each
// node's up/down state through shale.set_node_state (one statement for all
// nodes), log changes, and hand the checks to the failover controller.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "common/logger.h"
#include "daemon/failover.h"
#include "daemon/health_checker.h"
#include "daemon/leader_lock.h"

namespace shale {

class NodeMonitor {
public:
    // check_timeout bounds each check's connect and query; failover (optional)
    // acts on every round's checks.
    NodeMonitor(LeaderLock &leader_lock, Logger &logger,
                std::chrono::milliseconds check_timeout = std::chrono::milliseconds(1000),
                FailoverController *failover = nullptr)
        : leader_lock_(leader_lock), logger_(logger), checker_(check_timeout), failover_(failover) {}

    // run_round does one check of every node; returns false when the router
    // connection failed (the caller then re-acquires the lock).
    bool run_round(const std::atomic<bool> &stop);
    // last_nodes is the node list of the last successful catalog read (empty
    // until this daemon has been active); router failover works from it.
    const std::vector<NodeRecord> &last_nodes() const { return last_nodes_; }

private:
    // read_nodes loads shale.nodes through the leader connection.
    bool read_nodes(std::vector<NodeRecord> &nodes, const std::atomic<bool> &stop);
    // record_health writes every check to shale.node_health (with each
    // replica's lag behind its primary) and every node's up/down state, in one
    // statement: node_health has no cache-invalidation trigger, and
    // set_node_state writes shale.node only when a state changes.
    bool record_health(const std::vector<NodeRecord> &nodes, const std::vector<NodeHealth> &health);
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
    FailoverController *failover_;
    std::vector<NodeRecord> last_nodes_;
    std::map<long long, std::string> last_state_;  // node_id → last logged state
    std::map<std::string, std::string> last_warning_;  // topic → last warning logged
};

}  // namespace shale
