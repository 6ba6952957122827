// insights_recorder.cpp — see insights_recorder.h.
#include "daemon/insights_recorder.h"

#include "common/insights_history.h"

namespace shale {

void InsightsRecorder::run_if_due(const std::atomic<bool> &stop)
{
    auto now = std::chrono::steady_clock::now();
    if (ran_once_ && now - last_run_ < every_)
        return;
    ran_once_ = true;
    last_run_ = now;
    if (!router_.ok()) {
        router_ = PgConnection::connect_with_deadline(router_conninfo_, std::chrono::milliseconds(3000), &stop);
        if (!router_.ok()) {
            router_ = PgConnection();
            return;  // the health rounds report an unreachable router
        }
        router_.exec("SET application_name = 'shaled_insights'");
        router_.exec("SET statement_timeout = '20s'");
    }
    // a router without the extension's insights (an old version) has nothing to keep
    auto has_insights = router_.query_value("SELECT to_regprocedure('shale.query_stats_info()') IS NOT NULL");
    if (!has_insights || *has_insights != "t") {
        if (!has_insights)
            router_ = PgConnection();
        return;
    }
    std::string error;
    if (take_insights_snapshot(router_, &error)) {
        status_.insights_snapshots++;
        status_.insights_history_rows.store(history_rows(router_));
        if (failing_)
            logger_.info("query insights snapshots work again");
        failing_ = false;
        return;
    }
    status_.insights_snapshot_failures++;
    if (!failing_)
        logger_.warn("query insights snapshot failed: " + error);
    failing_ = true;
    router_ = PgConnection();  // reconnect next time (a failover may have moved the router)
}

}  // namespace shale
