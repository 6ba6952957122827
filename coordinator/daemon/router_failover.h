// router_failover.h — failover of the router group (group 0). The router holds
// the catalog and the leader lock, so when its primary dies the active shaled
// loses both; it cannot ask the catalog anything until a router node accepts
// writes again. So while this daemon cannot take the lock, and it has been the
// active daemon before (a standby that never acted stays passive), it checks the
// router nodes it last read from the catalog (or from cluster.json), and when
// the router primary is lost and a router replica is healthy it fences the old
// router primary, promotes the most advanced router replica, and records the
// switch (and the events) in the catalog on the promoted router itself, which
// holds every acknowledged catalog change because the router replica is
// synchronous. The main loop then reconnects through the multi-host router
// connection string, and the next health round rejoins the old router primary.
#pragma once

#include <atomic>
#include <vector>

#include "common/logger.h"
#include "daemon/failover.h"
#include "daemon/health_checker.h"
#include "daemon/local_cluster.h"

namespace shale {

class NodeMonitor;

class RouterFailover {
public:
    // worker_failover knows whether the router group ran without a synchronous standby
    RouterFailover(const FailoverSettings &settings, const LocalCluster &cluster, const NodeMonitor &monitor,
                   const FailoverController &worker_failover, Logger &logger, std::chrono::milliseconds check_timeout)
        : settings_(settings), cluster_(cluster), monitor_(monitor), worker_failover_(worker_failover),
          logger_(logger), checker_(check_timeout)
    {
    }

    // run does one check of the router nodes and fails over when due; called by
    // the main loop in each round where the leader lock is not held.
    void run(const std::atomic<bool> &stop);
    // deciding is true while the router primary failed checks but is not yet lost.
    bool deciding() const { return settings_.enabled && failures_.deciding(settings_); }

private:
    // router_nodes are the group-0 nodes of the last catalog read.
    std::vector<NodeRecord> router_nodes() const;
    // record_switch writes the switch and its events on the new router primary.
    void record_switch(const NodeRecord &old_primary, const NodeRecord &promoted, const std::string &suspected,
                       const std::string &fenced, const std::string &details, bool degraded);

    const FailoverSettings &settings_;
    const LocalCluster &cluster_;
    const NodeMonitor &monitor_;
    const FailoverController &worker_failover_;
    Logger &logger_;
    HealthChecker checker_;
    FailureCounter failures_;
    std::string last_warning_;
};

}  // namespace shale
