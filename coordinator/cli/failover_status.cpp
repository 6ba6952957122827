// failover_status.cpp — catalog roles, degraded groups and failover events for
// `shale status`.
#include "cli/failover_status.h"

#include <cstdio>

#include "common/pg_connection.h"

namespace shale {

// connect_router connects to whichever router node accepts writes.
static PgConnection connect_router(const ClusterLayout &layout)
{
    return PgConnection::connect_with_deadline(layout.router_conninfo("shale_status"), std::chrono::seconds(3));
}

std::map<int, CatalogNode> read_catalog_nodes(const ClusterLayout &layout)
{
    std::map<int, CatalogNode> nodes;
    PgConnection router = connect_router(layout);
    if (!router.ok())
        return nodes;
    PgResult result = router.exec(
        std::string("SELECT n.port, n.node_id, n.group_id, n.role, n.state, h.lag_bytes, n.host FROM shale.node n "
                    "LEFT JOIN shale.node_health h ON h.node_id = n.node_id AND h.reachable AND h.checked_at > "
                    "now() - interval '30 seconds'") +
        // on hosts every node of the cluster has a port of its own (cluster_up.cpp)
        (layout.on_hosts() ? "" : " WHERE n.host IN ('127.0.0.1', 'localhost')"));
    for (int row = 0; row < result.rows(); row++) {
        CatalogNode node;
        node.node_id = std::stoll(result.value(row, 1));
        node.group = std::stoi(result.value(row, 2));
        node.role = result.value(row, 3);
        node.state = result.value(row, 4);
        node.host = result.value(row, 6);
        if (!result.is_null(row, 5))
            node.lag_bytes = std::stoll(result.value(row, 5));
        nodes[std::stoi(result.value(row, 0))] = node;
    }
    return nodes;
}

bool print_failover_summary(const ClusterLayout &layout, const std::map<int, CatalogNode> &catalog)
{
    if (catalog.empty()) {
        std::printf("catalog: no router node accepts writes (a router failover may be in progress)\n");
        return false;
    }
    bool healthy = true;
    // A synchronous cluster's primary with an empty synchronous_standby_names
    // acknowledges commits no replica has: a failover then could lose them.
    if (layout.synchronous && layout.replicas > 0) {
        for (const auto &[port, node] : catalog) {
            if (node.role != "primary")
                continue;
            PgConnection primary = PgConnection::connect_with_deadline(
                node_conninfo(node.host, port) + " application_name=shale_status", std::chrono::seconds(2));
            auto standbys = primary.ok() ? primary.query_value("SHOW synchronous_standby_names") : std::nullopt;
            if (standbys && standbys->empty()) {
                std::printf("DEGRADED: group %d runs without a synchronous standby (its replica is down or being "
                            "rejoined): a failover now could lose acknowledged commits\n",
                            node.group);
                healthy = false;
            }
        }
    }
    PgConnection router = connect_router(layout);
    PgResult out = router.exec(
        "SELECT DISTINCT ON (node_id) node_id, group_id, kind, detail FROM shale.event "
        "WHERE kind IN ('fenced', 'rejoined', 'rejoin_failed') ORDER BY node_id, event_id DESC");
    for (int row = 0; row < out.rows(); row++) {
        if (out.value(row, 2) == "rejoined")
            continue;
        std::printf("OUT: node %s of group %s is %s: %s\n", out.value(row, 0).c_str(), out.value(row, 1).c_str(),
                    out.value(row, 2) == "fenced" ? "fenced, waiting to rejoin as a replica"
                                                   : "kept stopped (rejoin failed)",
                    out.value(row, 3).substr(0, 300).c_str());
        healthy = false;
    }
    PgResult events = router.exec(
        "SELECT to_char(happened_at, 'YYYY-MM-DD HH24:MI:SS.MS'), kind, coalesce(group_id::text, '-'), "
        "coalesce(node_id::text, '-'), left(coalesce(detail, ''), 110) FROM (SELECT * FROM shale.event WHERE kind "
        "IN ('suspected', 'fenced', 'promoted', 'degraded', 'rejoined', 'rejoin_failed', 'failover_failed', "
        "'synchronous_restored', 'switchover') ORDER BY event_id DESC LIMIT 6) e ORDER BY happened_at");
    if (events.rows() > 0) {
        std::printf("recent failover events (shale.event):\n");
        for (int row = 0; row < events.rows(); row++)
            std::printf("  %s  %-20s group %-3s node %-3s %s\n", events.value(row, 0).c_str(),
                        events.value(row, 1).c_str(), events.value(row, 2).c_str(), events.value(row, 3).c_str(),
                        events.value(row, 4).c_str());
    }
    return healthy;
}

}  // namespace shale
