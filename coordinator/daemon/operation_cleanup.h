// operation_cleanup.h — the active daemon's periodic clean-up of shard moves
// and splits: shale.cleanup_operations() on the router drops the old shards of
// finished operations and everything an interrupted one left on the workers.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "common/logger.h"
#include "common/pg_connection.h"

namespace shale {

class OperationCleanup {
public:
    OperationCleanup(Logger &logger, std::chrono::milliseconds every) : logger_(logger), every_(every) {}

    // run_if_due runs one clean-up pass when `every` has passed since the last one.
    void run_if_due(const PgConnection &router, const std::atomic<bool> &stop);

private:
    Logger &logger_;
    std::chrono::milliseconds every_;
    std::chrono::steady_clock::time_point last_run_{};
    std::string last_error_;
};

}  // namespace shale
