// main.cpp — entry point of shaled, the Shale coordinator daemon: parses its
// configuration, installs signal handlers and runs the main loop (take the leader
// lock, then one health-check round per interval) until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "common/cluster_password.h"
#include "common/logger.h"
#include "daemon/backup_scheduler.h"
#include "daemon/daemon_config.h"
#include "daemon/daemon_status.h"
#include "daemon/http_routes.h"
#include "daemon/insights_recorder.h"
#include "http/http_server.h"
#include "daemon/leader_lock.h"
#include "daemon/node_monitor.h"
#include "daemon/router_failover.h"
#include "daemon/deadlock_detector.h"
#include "daemon/operation_cleanup.h"
#include "daemon/scaling_runner.h"
#include "daemon/transaction_recovery.h"

namespace {

std::atomic<bool> stop_requested{false};
// set once this shaled has been active: from then on it renews the agents' leases
std::atomic<bool> renew_leases{false};

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
    // Failover (failover.h, router_failover.h): cluster.json gives the data
    // directories, so the daemon can stop a lost primary and rejoin it.
    if (!config.cluster_dir.empty())  // the nodes ask for the cluster's password (DIR/pgpass)
        shale::use_password_file(shale::cluster_password_file(config.cluster_dir));
    shale::LocalCluster local_cluster = shale::LocalCluster::load(config.cluster_dir, logger);
    shale::FailoverSettings failover_settings;
    failover_settings.enabled = config.failover;
    failover_settings.refused_checks = config.failover_refused_checks;
    failover_settings.timeout_checks = config.failover_timeout_checks;
    const auto check_timeout = std::chrono::milliseconds(config.check_timeout_ms);
    shale::FailoverController failover(failover_settings, local_cluster, logger);
    shale::NodeMonitor monitor(leader_lock, logger, check_timeout, &failover);
    shale::RouterFailover router_failover(failover_settings, local_cluster, monitor, failover, logger, check_timeout);
    // 2PC recovery every few seconds: in-doubt transactions hold row locks on workers
    shale::TransactionRecovery transaction_recovery(logger, std::chrono::milliseconds(3000));
    // old shards of finished moves and splits, and leftovers of interrupted ones
    shale::OperationCleanup operation_cleanup(logger, std::chrono::milliseconds(3000));
    // distributed deadlocks: checked every second, broken when seen twice in a row
    shale::DeadlockDetector deadlock_detector(logger, std::chrono::milliseconds(1000));
    // backups, verification and restore points on the schedule in DIR/backup/schedule.conf
    shale::BackupScheduler backup_scheduler(config.cluster_dir, logger);

    // What the HTTP thread may read about this process (atomics only), and the
    // HTTP API itself on its own thread and router connection (http_server.h).
    shale::DaemonStatus status;
    status.pid = getpid();
    status.http_port = config.http_port;
    status.started_at_seconds = shale::DaemonStatus::wall_clock_seconds();
    transaction_recovery.count_into(&status.prepared_transactions_recovered);
    deadlock_detector.count_into(&status.deadlocks_resolved);
    shale::ApiRoutes routes(config, status, &stop_requested);
    // query insights: shale.query_stats into the router's history, every minute (insights_recorder.h)
    shale::InsightsRecorder insights_recorder(config.router_conninfo, logger, status,
                                              std::chrono::seconds(config.insights_interval_s));
    std::unique_ptr<shale::HttpServer> http_server;  // declared after routes: stopped before them
    if (config.http_port > 0) {
        http_server = std::make_unique<shale::HttpServer>(
            config.http_port, [&routes](const shale::HttpRequest &request) { return routes.handle(request); },
            logger);
        try {
            http_server->start();
        } catch (const std::exception &error) {
            logger.error(std::string("HTTP API: ") + error.what());
            return 1;
        }
    }
    // rebalancing, draining and automatic splits, on a thread of their own (scaling_runner.h)
    // leases on the agents of a cluster on hosts, renewed once this shaled has been active (agent_leases.h)
    local_cluster.start_leases(renew_leases, logger);
    shale::ScalingRunner scaling_runner(config.router_conninfo, status.active, logger, std::chrono::milliseconds(5000));
    scaling_runner.start();
    const auto interval = std::chrono::milliseconds(config.check_interval_ms);

    while (!stop_requested.load()) {
        auto round_start = std::chrono::steady_clock::now();
        // While the router primary fails checks, a round goes straight to them:
        // another lock connection attempt would add its time-outs to every round.
        if (router_failover.deciding() || !leader_lock.ensure_held(stop_requested)) {
            router_failover.run(stop_requested);
            status.set_active(false);
            sleep_unless_stopped(router_failover.deciding() ? shale::kConfirmInterval : std::chrono::milliseconds(1000));
            continue;
        }
        status.set_active(true);
        renew_leases = true;
        try {
            if (!monitor.run_round(stop_requested))
                leader_lock.drop();
            else if (failover.deciding())
                status.health_rounds++;  // a primary failed a check: next round on time, nothing else
            else {
                status.health_rounds++;
                transaction_recovery.run_if_due(leader_lock.connection(), stop_requested);
                operation_cleanup.run_if_due(leader_lock.connection(), stop_requested);
                deadlock_detector.run_if_due(leader_lock.connection(), stop_requested);
                backup_scheduler.run_if_due(leader_lock.connection(), stop_requested);
                insights_recorder.run_if_due(stop_requested);
            }
        } catch (const std::exception &error) {
            logger.error(std::string("health check round failed: ") + error.what());
        }
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - round_start);
        status.last_round_seconds.store(elapsed.count() / 1000.0);
        // a primary that failed a check is checked again sooner (failover.h)
        const auto next_round = failover.deciding() ? std::min(interval, shale::kConfirmInterval) : interval;
        if (elapsed < next_round)
            sleep_unless_stopped(next_round - elapsed);
    }
    if (http_server)
        http_server->stop();
    logger.info("shaled stopping");
    return 0;
}
