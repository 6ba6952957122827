// scaling_runner.cpp — see scaling_runner.h.
#include "daemon/scaling_runner.h"

namespace shale {

void ScalingRunner::sleep_for(std::chrono::milliseconds duration)
{
    auto until = std::chrono::steady_clock::now() + duration;
    while (!stop_requested_.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

bool ScalingRunner::run_step()
{
    if (!connection_.ok()) {
        connection_ = PgConnection::connect_with_deadline(router_conninfo_, std::chrono::milliseconds(5000),
                                                          &stop_requested_);
        if (!connection_.ok())
            return false;  // the main loop reports an unreachable router
        connection_.exec("SET application_name = 'shaled_scaling'");
    }
    // a step is one move or split: the initial copy of a big shard takes a while
    PgResult result = connection_.exec_with_deadline("SELECT shale.run_scaling_step()", std::chrono::hours(2),
                                                     &stop_requested_);
    if (!result.ok()) {
        std::string error = connection_.ok() ? result.error_message() : "connection lost";
        if (error != last_error_)
            logger_.warn("scaling step failed: " + error);
        last_error_ = error;
        connection_ = PgConnection();  // a failed or abandoned call may leave it busy
        return false;
    }
    last_error_.clear();
    if (result.rows() != 1 || result.is_null(0, 0))
        return false;
    logger_.info("scaling: " + result.value(0, 0));
    return true;
}

void ScalingRunner::run()
{
    while (!stop_requested_.load()) {
        if (!active_.load()) {
            connection_ = PgConnection();  // a standby does no shard work
            sleep_for(std::chrono::milliseconds(1000));
            continue;
        }
        if (!run_step())
            sleep_for(idle_interval_);
    }
}

}  // namespace shale
