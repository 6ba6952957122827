// scaling_status.cpp — the scaling part of `shale status`: recent shard
// operations and how shards spread over the worker groups.
#include <cstdio>

#include "cli/scaling_commands.h"

namespace shale {

// one_line is a server error message without its trailing newline.
static std::string one_line(std::string message)
{
    while (!message.empty() && message.back() == '\n')
        message.pop_back();
    return message;
}

void print_scaling_summary(const ClusterLayout &layout)
{
    PgConnection router =
        PgConnection::connect_with_deadline(layout.router_conninfo("shale_status"), std::chrono::seconds(3));
    if (!router.ok())
        return;  // the failover summary already said that no router accepts writes
    // shale.shards asks every worker for its shard sizes: never let a slow or
    // half-failed worker hang `shale status`
    router.exec("SET statement_timeout = '5s'");

    PgResult operations = router.exec(
        "SELECT operation_id, kind, phase, percent_done, pg_size_pretty(bytes_copied), "
        "coalesce(write_block_ms::text, '-'), coalesce(error, '') FROM shale.operations "
        "WHERE finished_at IS NULL OR finished_at > now() - interval '1 hour' ORDER BY operation_id");
    if (!operations.ok()) {
        std::printf("shard operations: cannot read (%s)\n", one_line(operations.error_message()).c_str());
    } else if (operations.rows() == 0) {
        std::printf("shard operations: none unfinished or in the last hour\n");
    } else {
        std::printf("shard operations (unfinished, or finished in the last hour):\n");
        std::printf("  %-8s %-10s %-12s %-7s %-10s %-10s %s\n", "ID", "KIND", "PHASE", "DONE", "COPIED",
                    "BLOCK MS", "ERROR");
        for (int row = 0; row < operations.rows(); row++)
            std::printf("  %-8s %-10s %-12s %-7s %-10s %-10s %s\n", operations.value(row, 0).c_str(),
                        operations.value(row, 1).c_str(), operations.value(row, 2).c_str(),
                        (operations.value(row, 3) + "%").c_str(), operations.value(row, 4).c_str(),
                        operations.value(row, 5).c_str(), operations.value(row, 6).c_str());
    }

    // Every worker group, also an empty new one; reference tables are counted
    // apart since every group holds a copy of each.
    PgResult groups = router.exec(
        "SELECT g.group_id, g.state, count(s.shard_id) FILTER (WHERE d.kind IS DISTINCT FROM 'reference'), "
        "count(s.shard_id) FILTER (WHERE d.kind = 'reference'), pg_size_pretty(coalesce(sum(s.size_bytes), 0)) "
        "FROM shale.node_group g LEFT JOIN shale.shards s ON s.group_id = g.group_id "
        "LEFT JOIN shale.distributed_table d ON d.table_id = s.table_name "
        "WHERE g.group_id > 0 GROUP BY g.group_id, g.state ORDER BY g.group_id");
    if (!groups.ok()) {
        std::printf("shards per worker group: cannot read (%s)\n", one_line(groups.error_message()).c_str());
        return;
    }
    std::printf("shards per worker group:\n");
    std::printf("  %-6s %-9s %-7s %-10s %s\n", "GROUP", "STATE", "SHARDS", "REFERENCE", "SIZE");
    for (int row = 0; row < groups.rows(); row++)
        std::printf("  %-6s %-9s %-7s %-10s %s\n", groups.value(row, 0).c_str(), groups.value(row, 1).c_str(),
                    groups.value(row, 2).c_str(), groups.value(row, 3).c_str(), groups.value(row, 4).c_str());
}

}  // namespace shale
