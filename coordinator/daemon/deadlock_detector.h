// deadlock_detector.h — finds distributed deadlocks: transactions waiting for
// each other's row locks on different worker groups, where no single
// PostgreSQL sees the cycle. Worker connections of the router are named
// "shale:<router backend pid>", so each worker's lock waits map to router
// backends; a cycle seen in two checks in a row is broken by cancelling one
// transaction with shale.cancel_for_deadlock(), which fails with 40P01.
#pragma once

#include <atomic>
#include <chrono>
#include <set>
#include <utility>
#include <vector>

#include "common/logger.h"
#include "common/pg_connection.h"

namespace shale {

class DeadlockDetector {
public:
    DeadlockDetector(Logger &logger, std::chrono::milliseconds every) : logger_(logger), every_(every) {}

    // run_if_due collects the wait-for edges of every worker primary and breaks
    // the cycles that were already there at the previous check.
    void run_if_due(const PgConnection &router, const std::atomic<bool> &stop);
    // count_into makes every deadlock broken add one to *counter (read by
    // shaled's /metrics from the HTTP thread, hence atomic).
    void count_into(std::atomic<long long> *counter) { resolved_counter_ = counter; }

private:
    using Edge = std::pair<int, int>;  // router pid waiting → router pid holding the lock

    std::set<Edge> collect_edges(const PgConnection &router, const std::atomic<bool> &stop);
    static std::vector<int> find_cycle(const std::set<Edge> &edges);

    Logger &logger_;
    std::chrono::milliseconds every_;
    std::chrono::steady_clock::time_point last_run_{};
    std::set<Edge> previous_edges_;
    std::atomic<long long> *resolved_counter_ = nullptr;
};

}  // namespace shale
