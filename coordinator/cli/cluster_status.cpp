// cluster_status.cpp — `shale status` and `shale uri`: a table of the nodes with
// their reachability, actual role and replication lag, plus the daemon and the
// replication mode.
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/daemon_control.h"
#include "cli/failover_status.h"
#include "cli/host_cluster.h"
#include "cli/scaling_commands.h"
#include "common/pg_connection.h"

namespace shale {

namespace {

struct NodeStatus {
    bool up = false;
    std::optional<bool> in_recovery;
    std::string lag = "-";
};

// load_layout_or_fail reads cluster.json or throws "no cluster".
ClusterLayout load_layout_or_fail(const std::string &dir)
{
    auto layout = ClusterLayout::load(dir);
    if (!layout)
        throw CliError("no cluster in " + dir + " (no cluster.json); create one with: shale up --dir " + dir);
    return *layout;
}

PgConnection connect_briefly(const NodeSpec &node)
{
    return PgConnection::connect_with_deadline(
        node_conninfo(node.host, node.port) + " application_name=shale_status", std::chrono::seconds(2));
}

// replica_lag returns the bytes the replica's replay is behind its primary's
// current WAL position, or "?" when either side does not answer.
std::string replica_lag(const PgConnection &replica, const ClusterLayout &layout, const NodeSpec &node)
{
    PgConnection primary = connect_briefly(layout.primary_of(node));
    if (!primary.ok())
        return "?";
    auto primary_lsn = primary.query_value("SELECT pg_current_wal_lsn()");
    if (!primary_lsn)
        return "?";
    PgResult diff = replica.exec_params("SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::bigint",
                                        {*primary_lsn});
    if (!diff.ok() || diff.rows() != 1 || diff.is_null(0, 0))
        return "?";
    long long bytes = std::stoll(diff.value(0, 0));
    return std::to_string(bytes < 0 ? 0 : bytes) + " bytes";
}

NodeStatus node_status(const ClusterLayout &layout, const NodeSpec &node)
{
    NodeStatus status;
    PgConnection connection = connect_briefly(node);
    if (!connection.ok())
        return status;
    status.up = true;
    if (auto recovery = connection.query_value("SELECT pg_is_in_recovery()"))
        status.in_recovery = *recovery == "t";
    if (status.in_recovery.value_or(!node.is_primary()))
        status.lag = replica_lag(connection, layout, node);
    return status;
}

}  // namespace

int cluster_status(const std::string &dir)
{
    ClusterLayout layout = load_layout_or_fail(dir);
    std::printf("%-18s %-26s %-6s %-6s %-6s %s\n", "NODE", "ROLE", "GROUP", "PORT", "STATE", "REPLICATION LAG");
    bool all_up = true;
    // Roles change with failovers: the catalog knows the current ones.
    std::map<int, CatalogNode> catalog = read_catalog_nodes(layout);
    for (auto node : layout.nodes) {
        auto recorded = catalog.find(node.port);
        if (recorded != catalog.end())
            node.role = recorded->second.role;
        NodeStatus status = node_status(layout, node);
        if (recorded != catalog.end() && recorded->second.lag_bytes && !node.is_primary())
            status.lag = std::to_string(*recorded->second.lag_bytes) + " bytes";
        std::string role = node.kind + " " + node.role;
        if (status.in_recovery && *status.in_recovery == node.is_primary())
            role = node.kind + " " + (*status.in_recovery ? "replica" : "primary") + " (catalog: " + node.role + ")";
        all_up = all_up && status.up;
        std::printf("%-18s %-26s %-6d %-6d %-6s %s\n", node.name.c_str(), role.c_str(), node.group, node.port,
                    status.up ? "up" : "down", status.up ? status.lag.c_str() : "-");
    }
    bool hosts_answer = print_hosts(layout);
    auto pid = daemon_pid(layout);
    if (pid) {
        std::printf("shaled: running (pid %d), log %s\n", static_cast<int>(*pid), layout.daemon_log().c_str());
        if (layout.http_port > 0)
            std::printf("HTTP API: %s (GET /v1/cluster, /v1/nodes, /v1/events, /metrics)\n",
                        layout.http_address().c_str());
    } else {
        std::printf("shaled: NOT running\n");
    }
    if (layout.replicas == 0)
        std::printf("replication: none (no replicas)\n");
    else if (layout.synchronous)
        std::printf("replication: synchronous (each primary waits for ANY 1 of its replicas)\n");
    else
        std::printf("replication: ASYNC — warning: a failover can lose acknowledged commits\n");
    bool failover_healthy = print_failover_summary(layout, catalog);
    print_scaling_summary(layout);  // shard operations and shards per group
    return all_up && hosts_answer && pid && failover_healthy ? 0 : 1;
}

int cluster_uri(const std::string &dir)
{
    ClusterLayout layout = load_layout_or_fail(dir);
    std::cout << layout.uri_with_password() << std::endl;
    return 0;
}

}  // namespace shale
