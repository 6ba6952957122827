// operation_runner.h — runs the control plane's operations (create, delete,
// undelete, purge of a database) on threads of their own, up to a limit at
// once, each with its own state connection. Operations are rows in
// control.operations, so they outlive the process: at start, recover() takes
// the ones a crash interrupted, cleans up their servers and runs them again
// (a second interruption fails them), so none stays stuck.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/logger.h"
#include "control_plane/serve_config.h"

namespace shale {

// operation_step_names lists the steps of an operation kind, in order.
std::vector<std::string> operation_step_names(const std::string &kind);

class OperationRunner {
public:
    OperationRunner(const ServeConfig &config, std::string state_conninfo, Logger &logger);
    ~OperationRunner();

    // recover handles the operations left running by an earlier process.
    void recover();
    // restart_stopped_databases queues a start operation for each ready
    // database whose nodes or shaled are not running (after a reboot, say).
    void restart_stopped_databases();
    // start starts the dispatcher thread.
    void start();
    // stop stops taking operations and waits for the running ones' threads to
    // notice; operations still running stay so in the state and are recovered
    // at the next start.
    void stop();
    // wake makes the dispatcher look for pending operations now.
    void wake();

private:
    void dispatch_loop();
    void dispatch_once();
    void run_operation(const std::string &operation_id);

    const ServeConfig &config_;
    std::string conninfo_;
    Logger &logger_;
    std::mutex mutex_;
    std::condition_variable wake_condition_;
    bool woken_ = false;
    std::atomic<bool> stopping_{false};
    std::map<std::string, std::thread> workers_;  // operation id -> thread
    std::vector<std::string> finished_;           // ids whose threads can be joined
    std::mutex port_mutex_;                       // one port allocation at a time
    std::thread dispatcher_;
};

}  // namespace shale
