// insights_recorder.h — the active shaled's part of query insights: every
// interval (a minute by default) it snapshots shale.query_stats into the
// router's shale_insights history (common/insights_history.h), on a router
// connection of its own with measuring turned off, so windows of 15 minutes
// to 7 days can be asked for.
#pragma once

#include <atomic>
#include <chrono>

#include "common/logger.h"
#include "common/pg_connection.h"
#include "daemon/daemon_status.h"

namespace shale {

class InsightsRecorder {
public:
    InsightsRecorder(std::string router_conninfo, Logger &logger, DaemonStatus &status, std::chrono::milliseconds every)
        : router_conninfo_(std::move(router_conninfo)), logger_(logger), status_(status), every_(every) {}

    // run_if_due takes a snapshot when the interval has passed since the last
    // one (the first at once); failures are logged once until one succeeds.
    void run_if_due(const std::atomic<bool> &stop);

private:
    std::string router_conninfo_;
    Logger &logger_;
    DaemonStatus &status_;
    std::chrono::milliseconds every_;
    std::chrono::steady_clock::time_point last_run_{};
    bool ran_once_ = false;
    bool failing_ = false;
    PgConnection router_;
};

}  // namespace shale
