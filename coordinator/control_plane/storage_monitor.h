// storage_monitor.h — measures the storage of every ready database (its
// shards' sizes from the router's catalog plus the router's own database) on
// a thread of its own, every interval, into control.databases.storage_bytes,
// so that the API shows storage against the plan's limit. It logs a warning
// when a database passes 80 % of its plan's storage. (Refusing writes past the
// limit needs the extension's help and is not done yet: docs/control-plane.md.)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/logger.h"

namespace shale {

class StorageMonitor {
public:
    StorageMonitor(std::string state_conninfo, Logger &logger, std::chrono::seconds interval)
        : conninfo_(std::move(state_conninfo)), logger_(logger), interval_(interval)
    {
    }
    ~StorageMonitor() { stop(); }

    void start();
    void stop();
    // measure_once measures every ready database now (the thread's one round).
    void measure_once();

private:
    std::string conninfo_;
    Logger &logger_;
    std::chrono::seconds interval_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace shale
