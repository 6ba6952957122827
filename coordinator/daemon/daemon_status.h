// daemon_status.h — what this shaled process knows about itself and shares with
// its HTTP thread: whether it is the active daemon, how many health rounds it ran,
// and counters of the automatic work it did. Written by the main loop, read by
// the HTTP API and /metrics; every field is atomic, so no lock is needed and the
// main loop never waits for an HTTP request.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>

namespace shale {

// kShaleVersion is the version shaled reports in /v1/cluster and /metrics.
constexpr const char *kShaleVersion = "0.1.0";

struct DaemonStatus {
    pid_t pid = 0;
    int http_port = 0;
    // wall-clock seconds since the epoch when the process started
    double started_at_seconds = 0;

    // active is true while this shaled holds the leader lock and acts.
    std::atomic<bool> active{false};
    // wall-clock seconds since the epoch when `active` last changed (0: never)
    std::atomic<double> active_changed_at_seconds{0};
    // health-check rounds this process completed as the active daemon
    std::atomic<long long> health_rounds{0};
    // duration of the last completed health round, in seconds
    std::atomic<double> last_round_seconds{0};
    // prepared transactions finished by 2PC recovery in this process
    std::atomic<long long> prepared_transactions_recovered{0};
    // distributed deadlocks broken by this process
    std::atomic<long long> deadlocks_resolved{0};
    // query-insights snapshots this process stored, failed, and the history's rows after the last one
    std::atomic<long long> insights_snapshots{0};
    std::atomic<long long> insights_snapshot_failures{0};
    std::atomic<long long> insights_history_rows{-1};

    // set_active records a change of leadership (and when it happened).
    void set_active(bool now_active)
    {
        if (active.exchange(now_active) != now_active)
            active_changed_at_seconds.store(wall_clock_seconds());
    }

    // wall_clock_seconds is the current time as seconds since the epoch.
    static double wall_clock_seconds()
    {
        auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
        return std::chrono::duration<double>(since_epoch).count();
    }
};

}  // namespace shale
