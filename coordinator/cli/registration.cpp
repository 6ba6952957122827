// registration.cpp — SQL setup of a new cluster through the extension's API.
#include "cli/registration.h"

#include <map>

#include "cli/cli_error.h"
#include "common/pg_connection.h"

namespace shale {

// ignore_notice drops server notices such as "extension already exists, skipping".
static void ignore_notice(void *, const char *) {}

// connect_to connects to a node of the cluster or throws.
static PgConnection connect_to(const NodeSpec &node)
{
    PgConnection connection = PgConnection::connect(node_conninfo(node.host, node.port) +
                                                    " connect_timeout=10 application_name=shale_cli");
    if (!connection.ok())
        throw CliError("cannot connect to " + node.name + " (port " + std::to_string(node.port) +
                       "): " + connection.error_message());
    PQsetNoticeProcessor(connection.get(), ignore_notice, nullptr);
    return connection;
}

// run_sql runs one statement or throws naming the node.
static PgResult run_sql(const PgConnection &connection, const NodeSpec &node, const std::string &sql,
                        const std::vector<std::string> &params = {})
{
    PgResult result = params.empty() ? connection.exec(sql) : connection.exec_params(sql, params);
    if (!result.ok())
        throw CliError("on " + node.name + ": " + sql + ": " + result.error_message());
    return result;
}

void configure_synchronous_replication(const ClusterLayout &layout, std::optional<int> only_group)
{
    for (const auto &primary : layout.nodes) {
        if (!primary.is_primary() || (only_group && primary.group != *only_group))
            continue;
        std::string names;
        for (const auto &node : layout.nodes)
            if (!node.is_primary() && node.group == primary.group)
                names += (names.empty() ? "" : ", ") + node.slot_name();
        if (names.empty())
            continue;
        std::string value = layout.synchronous ? "ANY 1 (" + names + ")" : "";
        PgConnection connection = connect_to(primary);
        run_sql(connection, primary, "ALTER SYSTEM SET synchronous_standby_names = '" + value + "'");
        run_sql(connection, primary, "SELECT pg_reload_conf()");
    }
}

void create_extensions(const ClusterLayout &layout, std::optional<int> only_group)
{
    for (const auto &node : layout.nodes) {
        if (!node.is_primary() || (only_group && node.group != *only_group))
            continue;
        PgConnection connection = connect_to(node);
        // After a failover or switchover the primary of creation may run as a
        // standby: read-only, and it has the extension from its new primary.
        if (run_sql(connection, node, "SELECT pg_is_in_recovery()").value(0, 0) == "t")
            continue;
        run_sql(connection, node, "CREATE EXTENSION IF NOT EXISTS shale");
    }
}

bool register_nodes(const ClusterLayout &layout)
{
    const NodeSpec &router = layout.router_primary();
    PgConnection connection = connect_to(router);
    PgResult count = run_sql(connection, router, "SELECT count(*) FROM shale.nodes");
    if (count.value(0, 0) != "0")
        return false;

    run_sql(connection, router, "BEGIN");
    std::map<int, std::string> catalog_group_of_layout_group = {{0, "0"}};
    // Primaries first, so each worker replica can name its group's catalog id.
    for (const auto &node : layout.nodes) {
        if (!node.is_primary())
            continue;
        const std::string port = std::to_string(node.port);
        if (node.kind == "router") {
            run_sql(connection, router, "SELECT shale.add_node($1, $2, 0, 'primary')", {node.host, port});
            continue;
        }
        PgResult added = run_sql(connection, router, "SELECT shale.add_node($1, $2)", {node.host, port});
        PgResult group = run_sql(connection, router, "SELECT group_id FROM shale.nodes WHERE node_id = $1",
                                 {added.value(0, 0)});
        if (group.rows() != 1)
            throw CliError("shale.add_node returned node " + added.value(0, 0) + " which is not in shale.nodes");
        catalog_group_of_layout_group[node.group] = group.value(0, 0);
    }
    for (const auto &node : layout.nodes) {
        if (node.is_primary())
            continue;
        run_sql(connection, router, "SELECT shale.add_node($1, $2, $3, 'replica')",
                {node.host, std::to_string(node.port), catalog_group_of_layout_group.at(node.group)});
    }
    run_sql(connection, router, "COMMIT");
    return true;
}

// add_nodes registers nodes, in the order given, in one transaction on the router.
static void add_nodes(const ClusterLayout &layout, const std::vector<NodeSpec> &nodes, const std::string &router_conninfo)
{
    PgConnection connection = PgConnection::connect(router_conninfo);
    if (!connection.ok())
        throw CliError("cannot connect to the router: " + connection.error_message());
    PQsetNoticeProcessor(connection.get(), ignore_notice, nullptr);
    const NodeSpec &router = layout.router_primary();  // names the node in error messages only
    run_sql(connection, router, "BEGIN");
    for (const auto &node : nodes)
        run_sql(connection, router, "SELECT shale.add_node($1, $2, $3, $4)",
                {node.host, std::to_string(node.port), std::to_string(node.group), node.role});
    run_sql(connection, router, "COMMIT");
}

void register_group(const ClusterLayout &layout, int layout_group, const std::string &router_conninfo)
{
    std::vector<NodeSpec> nodes;
    for (bool primaries : {true, false})
        for (const auto &node : layout.nodes)
            if (node.group == layout_group && node.is_primary() == primaries)
                nodes.push_back(node);
    add_nodes(layout, nodes, router_conninfo);
}

void register_replicas(const ClusterLayout &layout, const std::vector<NodeSpec> &replicas,
                       const std::string &router_conninfo)
{
    add_nodes(layout, replicas, router_conninfo);
}

}  // namespace shale
