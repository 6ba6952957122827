// health_checker.cpp — libpq health checks of nodes.
#include "daemon/health_checker.h"

#include <future>

#include "common/pg_connection.h"

namespace shale {

// The one query of a check. The timeline of a primary is the first part of the
// name of its current WAL file; a replica reports the timeline it receives, or
// that of its last restartpoint when it does not stream.
static const char *kCheckQuery =
    "SELECT pg_is_in_recovery(), "
    "CASE WHEN pg_is_in_recovery() "
    "THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver), (pg_control_checkpoint()).timeline_id) "
    "ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END, "
    "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, "
    "pg_last_wal_receive_lsn()";

const char *failure_name(CheckFailure failure)
{
    switch (failure) {
    case CheckFailure::none:
        return "none";
    case CheckFailure::refused:
        return "refused";
    case CheckFailure::timeout:
        return "timeout";
    case CheckFailure::rejected:
        return "rejected";
    }
    return "none";
}

// classify_connect_error tells a refused connection from a server that answered
// with an error. A time-out leaves no connection at all (handled by the caller).
static CheckFailure classify_connect_error(const std::string &message)
{
    if (message.find("Connection refused") != std::string::npos ||
        message.find("No such file or directory") != std::string::npos)
        return CheckFailure::refused;
    if (message.find("timed out") != std::string::npos || message.find("timeout expired") != std::string::npos)
        return CheckFailure::timeout;
    return CheckFailure::rejected;
}

NodeHealth HealthChecker::check_node(const NodeRecord &node, const std::atomic<bool> &stop) const
{
    NodeHealth health;
    const auto started = std::chrono::steady_clock::now();
    PgConnection connection = PgConnection::connect_with_deadline(
        node_conninfo(node.host, node.port) + " application_name=shaled_health", timeout_, &stop);
    if (!connection.ok()) {
        health.error = connection.error_message();
        health.failure = connection.get() == nullptr ? CheckFailure::timeout : classify_connect_error(health.error);
        return health;
    }
    PgResult result = connection.exec_with_deadline(kCheckQuery, timeout_, &stop);
    if (!result.ok() || result.rows() != 1) {
        // An empty result is a time-out (or a connection that died meanwhile).
        health.error = result.get() == nullptr ? "check query timed out" : result.error_message();
        health.failure = result.get() == nullptr ? CheckFailure::timeout : CheckFailure::rejected;
        return health;
    }
    health.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    health.reachable = true;
    health.in_recovery = result.value(0, 0) == "t";
    health.timeline = result.is_null(0, 1) ? 0 : std::stoll(result.value(0, 1));
    health.wal_lsn = result.is_null(0, 2) ? "" : result.value(0, 2);
    health.receive_lsn = result.is_null(0, 3) ? "" : result.value(0, 3);
    return health;
}

std::vector<NodeHealth> HealthChecker::check_nodes(const std::vector<NodeRecord> &nodes,
                                                   const std::atomic<bool> &stop) const
{
    std::vector<std::future<NodeHealth>> pending;
    pending.reserve(nodes.size());
    for (const auto &node : nodes)
        pending.push_back(std::async(std::launch::async, [this, &node, &stop]() { return check_node(node, stop); }));
    std::vector<NodeHealth> results;
    results.reserve(nodes.size());
    for (auto &future : pending)
        results.push_back(future.get());
    return results;
}

}  // namespace shale
