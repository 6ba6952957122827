// scaling_runner.h — drives shard moves and splits: while this daemon is the
// active one, a thread of its own calls shale.run_scaling_step() on the router
// again and again while it finds work (a queued rebalance or drain, a shard
// past shale.auto_split_size, groups out of balance), then every few seconds.
// A move can take minutes; on its own thread it never delays health checks
// and failover in the main loop.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "common/logger.h"
#include "common/pg_connection.h"

namespace shale {

class ScalingRunner {
public:
    ScalingRunner(std::string router_conninfo, const std::atomic<bool> &active, Logger &logger,
                  std::chrono::milliseconds idle_interval)
        : router_conninfo_(std::move(router_conninfo)), active_(active), logger_(logger),
          idle_interval_(idle_interval)
    {
    }
    ~ScalingRunner() { stop(); }

    void start() { thread_ = std::thread([this] { run(); }); }
    // stop asks the thread to end (a running step is abandoned: its connection
    // closes, the step's transaction rolls back) and waits for it.
    void stop()
    {
        stop_requested_.store(true);
        if (thread_.joinable())
            thread_.join();
    }

private:
    void run();
    // run_step runs one step; returns true when it did something (so the next follows at once).
    bool run_step();
    void sleep_for(std::chrono::milliseconds duration);

    std::string router_conninfo_;
    const std::atomic<bool> &active_;
    Logger &logger_;
    std::chrono::milliseconds idle_interval_;
    std::atomic<bool> stop_requested_{false};
    std::thread thread_;
    PgConnection connection_;
    std::string last_error_;
};

}  // namespace shale
