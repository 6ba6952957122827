// main.cpp — entry point of shaled, the Shale coordinator daemon: parses its
// configuration, installs signal handlers and runs the main loop (take the leader
// lock, then one health-check round per interval) until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "common/logger.h"
#include "daemon/daemon_config.h"
#include "daemon/leader_lock.h"
#include "daemon/node_monitor.h"
#include "daemon/deadlock_detector.h"
#include "daemon/transaction_recovery.h"

namespace {

std::atomic<bool> stop_requested{false};

void handle_stop_signal(int)
{
    stop_requested.store(true);
}

// sleep_unless_stopped waits for `duration`, waking early when a stop is requested.
void sleep_unless_stopped(std::chrono::milliseconds duration)
{
    auto deadline = std::chrono::steady_clock::now() + duration;
    while (!stop_requested.load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

int main(int argc, char **argv)
{
    shale::DaemonConfig config;
    try {
        if (!shale::parse_daemon_config(argc, argv, config))
            return 0;
    } catch (const shale::UsageError &error) {
        std::cerr << "shaled: " << error.what() << "\n" << "Try \"shaled --help\".\n";
        return 2;
    }

    shale::Logger logger;
    logger.set_level(config.log_level);
    if (!config.log_file.empty() && !logger.open_file(config.log_file)) {
        std::cerr << "shaled: cannot open log file " << config.log_file << "\n";
        return 1;
    }

    struct sigaction action = {};
    action.sa_handler = handle_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);

    logger.info("shaled starting (pid " + std::to_string(getpid()) + ", check interval " +
                std::to_string(config.check_interval_ms) + " ms)");
    shale::LeaderLock leader_lock(config.router_conninfo, logger);
    shale::NodeMonitor monitor(leader_lock, logger);
    // 2PC recovery every few seconds: in-doubt transactions hold row locks on workers
    shale::TransactionRecovery transaction_recovery(logger, std::chrono::milliseconds(3000));
    // distributed deadlocks: checked every second, broken when seen twice in a row
    shale::DeadlockDetector deadlock_detector(logger, std::chrono::milliseconds(1000));
    const auto interval = std::chrono::milliseconds(config.check_interval_ms);

    while (!stop_requested.load()) {
        auto round_start = std::chrono::steady_clock::now();
        if (!leader_lock.ensure_held(stop_requested)) {
            sleep_unless_stopped(std::chrono::milliseconds(1000));
            continue;
        }
        try {
            if (!monitor.run_round(stop_requested))
                leader_lock.drop();
            else {
                transaction_recovery.run_if_due(leader_lock.connection(), stop_requested);
                deadlock_detector.run_if_due(leader_lock.connection(), stop_requested);
            }
        } catch (const std::exception &error) {
            logger.error(std::string("health check round failed: ") + error.what());
        }
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - round_start);
        if (elapsed < interval)
            sleep_unless_stopped(interval - elapsed);
    }
    logger.info("shaled stopping");
    return 0;
}
