// rejoin.h — brings fenced nodes back as replicas, in the background so health
// rounds (and the next failover) never wait for a pg_rewind. A node is due for a
// rejoin while its latest 'fenced' event has no later 'rejoined' or
// 'rejoin_failed' event; the catalog keeps that across daemon restarts and
// router failovers. Each node gets three attempts, five seconds apart (orphaned
// backends of a killed postmaster can hold its shared memory for a moment); then
// event 'rejoin_failed' and the node stays stopped, read-only if started.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <vector>

#include "common/logger.h"
#include "common/pg_connection.h"
#include "common/replica_rejoin.h"
#include "daemon/health_checker.h"
#include "daemon/local_cluster.h"

namespace shale {

class RejoinScheduler {
public:
    RejoinScheduler(const LocalCluster &cluster, Logger &logger) : cluster_(cluster), logger_(logger) {}
    ~RejoinScheduler();

    // run_round records finished rejoins and starts due ones (not for paused groups).
    void run_round(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                   const std::vector<NodeHealth> &health, const std::set<long long> &paused);
    // in_progress tells whether a rejoin of node_id is running.
    bool in_progress(long long node_id) const { return running_.count(node_id) > 0; }

private:
    struct Running {
        std::future<RejoinResult> result;
        NodeRecord node;
        NodeRecord primary;
    };
    void finish(const PgConnection &router, Running &running, const RejoinResult &result);
    void start(const NodeRecord &node, const NodeRecord &primary);

    const LocalCluster &cluster_;
    Logger &logger_;
    std::map<long long, Running> running_;
    std::map<long long, int> attempts_;
    std::map<long long, std::chrono::steady_clock::time_point> next_try_;
};

}  // namespace shale
