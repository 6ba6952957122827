// leader_lock.cpp — acquiring and keeping the advisory lock that elects the
// active shaled.
#include "daemon/leader_lock.h"

#include <unistd.h>

namespace shale {

using std::chrono::milliseconds;

void LeaderLock::drop()
{
    if (held_)
        logger_.warn("lost the router connection; leadership released until it is re-acquired");
    connection_ = PgConnection();
    held_ = false;
}

bool LeaderLock::ensure_held(const std::atomic<bool> &stop)
{
    if (held_) {
        // Check the connection still works: the lock lives as long as the session.
        PgResult alive = connection_.exec_with_deadline("SELECT 1", milliseconds(2000), &stop);
        if (alive.ok())
            return true;
        drop();
    }
    if (!connection_.ok()) {
        connection_ = PgConnection::connect_with_deadline(router_conninfo_, milliseconds(2000), &stop);
        if (!connection_.ok()) {
            if (!reported_router_down_)
                logger_.warn("cannot connect to the router: " + connection_.error_message() + "; retrying");
            reported_router_down_ = true;
            connection_ = PgConnection();
            return false;
        }
        if (reported_router_down_)
            logger_.info("connected to the router again");
        reported_router_down_ = false;
        // "shaled pid N": GET /v1/cluster finds the active daemon's pid through
        // the session that holds the lock (see cluster_reader.cpp)
        connection_.exec("SET application_name = 'shaled pid " + std::to_string(getpid()) + "'");
    }
    PgResult granted = connection_.exec_with_deadline(
        "SELECT pg_try_advisory_lock(" + std::to_string(kLeaderLockKey) + ")", milliseconds(2000), &stop);
    if (!granted.ok() || granted.rows() != 1) {
        logger_.warn("cannot take the leader lock: " + granted.error_message());
        drop();
        return false;
    }
    if (granted.value(0, 0) != "t") {
        if (!reported_standby_)
            logger_.info("standby: another shaled is active");
        else
            logger_.debug("standby: another shaled is active");
        reported_standby_ = true;
        return false;
    }
    held_ = true;
    reported_standby_ = false;
    logger_.info("acquired the leader lock; this shaled is active");
    return true;
}

}  // namespace shale
