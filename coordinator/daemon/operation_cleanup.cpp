// operation_cleanup.cpp — see operation_cleanup.h.
#include "daemon/operation_cleanup.h"

namespace shale {

void OperationCleanup::run_if_due(const PgConnection &router, const std::atomic<bool> &stop)
{
    auto now = std::chrono::steady_clock::now();
    if (now - last_run_ < every_)
        return;
    last_run_ = now;
    // dropping a big shard can take a while; a running move makes the call return 0 at once
    PgResult result = router.exec_with_deadline("SELECT shale.cleanup_operations()", std::chrono::milliseconds(60000),
                                                &stop);
    if (!result.ok()) {
        // a worker that is down makes every pass fail the same way: log it once
        if (result.error_message() != last_error_)
            logger_.warn("shard operation clean-up failed: " + result.error_message());
        last_error_ = result.error_message();
        return;
    }
    last_error_.clear();
    if (result.rows() == 1 && result.value(0, 0) != "0")
        logger_.info("finished " + result.value(0, 0) + " shard operations (old shards and replication objects dropped)");
}

}  // namespace shale
