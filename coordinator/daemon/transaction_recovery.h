// transaction_recovery.h — the active daemon's periodic 2PC recovery: it calls
// shale.recover_prepared_transactions() on the router, which commits or rolls
// back the prepared transactions a crash left on worker groups.
#pragma once

#include <atomic>
#include <chrono>

#include "common/logger.h"
#include "common/pg_connection.h"

namespace shale {

class TransactionRecovery {
public:
    TransactionRecovery(Logger &logger, std::chrono::milliseconds every) : logger_(logger), every_(every) {}

    // run_if_due runs one recovery pass when `every` has passed since the last one.
    void run_if_due(const PgConnection &router, const std::atomic<bool> &stop);
    // count_into makes every pass add the transactions it finished to *counter
    // (shaled's /metrics reads it from the HTTP thread, hence atomic).
    void count_into(std::atomic<long long> *counter) { finished_counter_ = counter; }

private:
    Logger &logger_;
    std::chrono::milliseconds every_;
    std::chrono::steady_clock::time_point last_run_{};
    std::string last_error_;
    std::atomic<long long> *finished_counter_ = nullptr;
};

}  // namespace shale
