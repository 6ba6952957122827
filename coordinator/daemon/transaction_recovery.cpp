// transaction_recovery.cpp — see transaction_recovery.h.
#include "daemon/transaction_recovery.h"

namespace shale {

void TransactionRecovery::run_if_due(const PgConnection &router, const std::atomic<bool> &stop)
{
    auto now = std::chrono::steady_clock::now();
    if (now - last_run_ < every_)
        return;
    last_run_ = now;
    PgResult result = router.exec_with_deadline("SELECT shale.recover_prepared_transactions()",
                                                std::chrono::milliseconds(30000), &stop);
    if (!result.ok()) {
        // a worker that is down makes every pass fail the same way: log it once
        if (result.error_message() != last_error_)
            logger_.warn("2PC recovery failed: " + result.error_message());
        last_error_ = result.error_message();
        return;
    }
    last_error_.clear();
    if (result.rows() == 1 && result.value(0, 0) != "0") {
        logger_.info("2PC recovery finished " + result.value(0, 0) + " prepared transactions");
        if (finished_counter_ != nullptr && !result.is_null(0, 0))
            *finished_counter_ += std::stoll(result.value(0, 0));
    }
}

}  // namespace shale
