// leader_lock.h — makes sure only one shaled acts at a time: the active daemon
// holds a session-level advisory lock on a dedicated connection to the router
// primary; others wait as standbys. The same connection then serves the daemon's
// catalog queries, so losing it means losing the lock.
#pragma once

#include <atomic>
#include <string>

#include "common/logger.h"
#include "common/pg_connection.h"

namespace shale {

// The advisory lock key every shaled competes for.
constexpr long long kLeaderLockKey = 7415368001LL;

class LeaderLock {
public:
    LeaderLock(std::string router_conninfo, Logger &logger)
        : router_conninfo_(std::move(router_conninfo)), logger_(logger) {}

    // ensure_held (re)connects and tries to take the lock when needed; returns
    // true when this daemon holds it. Never throws; failures are logged.
    bool ensure_held(const std::atomic<bool> &stop);
    // connection is the router connection that holds the lock.
    PgConnection &connection() { return connection_; }
    // drop forgets the connection (and so the lock), e.g. after a query failed.
    void drop();

private:
    std::string router_conninfo_;
    Logger &logger_;
    PgConnection connection_;
    bool held_ = false;
    bool reported_standby_ = false;
    bool reported_router_down_ = false;
};

}  // namespace shale
