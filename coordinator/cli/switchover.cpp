// switchover.cpp — `shale switchover`: planned primary change of one group.
//
// Steps, each printed:
//  1. take DIR/failover.lock and record an unfinished 'switchover' operation, so
//     shaled neither fails the group over nor "repairs" it meanwhile;
//  2. wait until the chosen replica replays within 1 MB of the primary, and run
//     a CHECKPOINT, so the clean stop below has little left to write and send;
//  3. stop the primary with a fast shutdown: sessions end, the shutdown
//     checkpoint is written and the walsender streams everything up to it;
//  4. check that the replica received the shutdown checkpoint (pg_controldata of
//     the old primary): it then holds every commit; otherwise restart the old
//     primary and give up, changing nothing;
//  5. promote the replica, switch the catalog in one transaction (the router
//     sends the next statement there), re-point other replicas;
//  6. start the old primary as a standby of the new one (pg_rewind finds nothing
//     to undo after a clean stop) and make it the synchronous standby again.
// Writes to the group fail from step 3 to step 5 (about a second); the write
// client retries, as with a failover.
#include "cli/switchover.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "cli/cli_error.h"
#include "common/cluster_layout.h"
#include "common/failover_lock.h"
#include "common/pg_connection.h"
#include "common/replica_rejoin.h"
#include "common/replication_control.h"
#include "common/server_control.h"

namespace shale {

namespace {

using clock_type = std::chrono::steady_clock;

struct GroupNode {
    long long node_id = 0;
    std::string host;
    int port = 0;
    std::string role;
    const NodeSpec *local = nullptr;
};

void say(const std::string &message)
{
    std::cout << "shale: " << message << std::endl;
}

double seconds_since(clock_type::time_point start)
{
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string seconds_text(double seconds)
{
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.2f s", seconds);
    return buffer;
}


PgConnection connect_router(const ClusterLayout &layout)
{
    PgConnection router = PgConnection::connect_with_deadline(layout.router_conninfo("shale_switchover"), std::chrono::seconds(5));
    if (!router.ok())
        throw CliError("cannot connect to the router: " + router.error_message());
    return router;
}

void exec_or_throw(const PgConnection &connection, const std::string &sql, const std::vector<std::string> &params)
{
    PgResult result = connection.exec_params(sql, params);
    if (!result.ok())
        throw CliError(sql + ": " + result.error_message());
}

// checkpoint_location reads "Latest checkpoint location" of a stopped server.
std::string checkpoint_location(const std::string &data_dir)
{
    std::string command = postgres_bindir() + "/pg_controldata " + data_dir + " 2>/dev/null";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
    char line[512];
    const std::string key = "Latest checkpoint location:";
    while (pipe && std::fgets(line, sizeof(line), pipe.get()) != nullptr) {
        std::string text(line);
        if (text.rfind(key, 0) == 0) {
            std::string value = text.substr(key.size());
            value.erase(0, value.find_first_not_of(" \t"));
            value.erase(value.find_last_not_of(" \t\n") + 1);
            return value;
        }
    }
    return "";
}

// wait_until polls a boolean query on a connection until it returns true.
bool wait_until(const PgConnection &connection, const std::string &sql, const std::vector<std::string> &params,
                int timeout_ms)
{
    auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    while (clock_type::now() < deadline) {
        PgResult result = connection.exec_params(sql, params);
        if (result.ok() && result.rows() == 1 && result.value(0, 0) == "t")
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace

int cluster_switchover(const SwitchoverOptions &options)
{
    auto loaded = ClusterLayout::load(options.dir);
    if (!loaded)
        throw CliError("no cluster in " + options.dir + " (no cluster.json)");
    const ClusterLayout layout = *loaded;
    const std::string group_text = options.group == 0 ? "the router group" : "group " + std::to_string(options.group);

    PgConnection router = connect_router(layout);
    PgResult rows = router.exec_params(
        "SELECT node_id, host, port, role FROM shale.node WHERE group_id = $1 ORDER BY role, node_id",
        {std::to_string(options.group)});
    if (!rows.ok())
        throw CliError("cannot read the nodes of " + group_text + ": " + rows.error_message());
    std::vector<GroupNode> nodes;
    const GroupNode *primary = nullptr;
    for (int row = 0; row < rows.rows(); row++) {
        GroupNode node{std::stoll(rows.value(row, 0)), rows.value(row, 1), std::stoi(rows.value(row, 2)),
                       rows.value(row, 3), nullptr};
        for (const auto &spec : layout.nodes)
            if (spec.port == node.port && (node.host == "127.0.0.1" || node.host == "localhost"))
                node.local = &spec;
        nodes.push_back(node);
    }
    for (const auto &node : nodes)
        if (node.role == "primary")
            primary = &node;
    if (primary == nullptr)
        throw CliError(group_text + " has no primary in the catalog");
    if (primary->local == nullptr)
        throw CliError("the primary of " + group_text + " is not a node of this machine's cluster");

    // The target: the given node, else the streaming replica with the least lag.
    PgConnection old_primary = connect_node(primary->host, primary->port);
    if (!old_primary.ok())
        throw CliError("cannot connect to the primary of " + group_text + ": " + old_primary.error_message());
    const GroupNode *target = nullptr;
    long long best_lag = -1;
    for (const auto &node : nodes) {
        if (node.role != "replica" || (options.to_node != 0 && node.node_id != options.to_node))
            continue;
        PgConnection replica = connect_node(node.host, node.port);
        auto lag = replica.ok() ? replica.query_value(
                                      "SELECT CASE WHEN pg_is_in_recovery() AND (SELECT status FROM "
                                      "pg_stat_wal_receiver) = 'streaming' THEN 0 END")
                                : std::nullopt;
        if (!lag || lag->empty())
            continue;
        PgResult primary_lsn = old_primary.exec("SELECT pg_current_wal_lsn()");
        PgResult behind = replica.exec_params("SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::bigint",
                                              {primary_lsn.ok() ? primary_lsn.value(0, 0) : "0/0"});
        long long bytes = behind.ok() && !behind.is_null(0, 0) ? std::stoll(behind.value(0, 0)) : 0;
        if (target == nullptr || bytes < best_lag) {
            target = &node;
            best_lag = bytes;
        }
    }
    if (target == nullptr)
        throw CliError(options.to_node != 0 ? "node " + std::to_string(options.to_node) +
                                                  " is not a streaming replica of " + group_text
                                            : group_text + " has no streaming replica to switch to");
    auto describe = [](const GroupNode &node) {
        return "node " + std::to_string(node.node_id) + " (" + node.host + ":" + std::to_string(node.port) + ")";
    };
    say("switchover of " + group_text + ": " + describe(*primary) + " -> " + describe(*target));

    // 1. exclude shaled's failover and rejoin for this group
    FailoverLock lock(layout.dir);
    if (!lock.lock(30000))
        throw CliError("shaled is failing over or rejoining a node (failover.lock is held); try again");
    PgResult operation = router.exec_params(
        "INSERT INTO shale.operation (kind, source_group, phase) VALUES ('switchover', $1, 'running') "
        "RETURNING operation_id",
        {std::to_string(options.group)});
    if (!operation.ok())
        throw CliError("cannot record the switchover: " + operation.error_message());
    const std::string operation_id = operation.value(0, 0);
    const auto started = clock_type::now();
    try {

        // 2. let the replica catch up while writes go on
        const std::string catch_up_sql =
            "SELECT coalesce(bool_or(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) < 1048576), false) "
            "FROM pg_stat_replication WHERE client_port IS NOT NULL AND state = 'streaming'";
        if (!wait_until(old_primary, catch_up_sql, {}, 30000))
            say("warning: the replica is more than 1 MB behind after 30 s; stopping anyway");
        // A checkpoint now, while writes still go on, leaves the shutdown
        // checkpoint little to flush: the stop below is shorter.
        old_primary.exec("CHECKPOINT");
        say("replica caught up (" + seconds_text(seconds_since(started)) + ")");

        // 3. clean stop of the old primary
        ServerControl control(layout.os_user, layout.log_dir() + "/switchover.log");
        old_primary = PgConnection();
        router = PgConnection();  // for the router group, this very server stops
        const auto write_stop = clock_type::now();
        ToolResult stopped = control.stop_clean(primary->local->data_dir, 60);
        if (!stopped.ok)
            throw CliError("could not stop the old primary cleanly; nothing changed: " + stopped.output);
        mark_as_standby(control, primary->local->data_dir);
        say("stopped " + describe(*primary) + " with a fast shutdown (" + seconds_text(seconds_since(write_stop)) + ")");

        // 4. the replica must hold the shutdown checkpoint, hence every commit
        const std::string checkpoint = checkpoint_location(primary->local->data_dir);
        PgConnection replica = connect_node(target->host, target->port);
        if (checkpoint.empty() ||
            !wait_until(replica, "SELECT pg_last_wal_receive_lsn() > $1::pg_lsn", {checkpoint}, 10000)) {
            unlink((primary->local->data_dir + "/standby.signal").c_str());
            control.start(primary->local->data_dir, layout.node_log(*primary->local));
            throw CliError("the replica did not receive the old primary's shutdown checkpoint " + checkpoint +
                           "; the old primary was started again and nothing changed");
        }

        // 5. promote, switch the catalog, re-point the others
        if (auto error = promote_replica(target->host, target->port))
            throw CliError("promotion of " + describe(*target) + " failed: " + *error +
                           "; the old primary is stopped: run `shale up` to start it again");
        say("promoted " + describe(*target) + " (" + seconds_text(seconds_since(write_stop)) + ")");
        set_synchronous_standbys(replica, {}, layout.synchronous);
        router = connect_router(layout);  // the new router primary, for the router group
        exec_or_throw(router, "SELECT shale.switch_primary($1, $2)",
                      {std::to_string(target->node_id), "switchover from " + describe(*primary)});
        const double write_gap = seconds_since(write_stop);
        say("switched the catalog; writes to " + group_text + " were refused for " +
            seconds_text(write_gap));
        for (const auto &node : nodes)
            if (node.role == "replica" && node.node_id != target->node_id)
                if (auto error = repoint_replica(node.host, node.port, node.node_id, target->host, target->port))
                    say("warning: re-pointing " + describe(node) + " failed: " + *error);

        // 6. the old primary becomes a standby of the new one
        RejoinRequest request;
        request.node_id = primary->node_id;
        request.data_dir = primary->local->data_dir;
        request.server_log = layout.node_log(*primary->local);
        request.port = primary->port;
        request.primary_host = target->host;
        request.primary_port = target->port;
        RejoinResult rejoined = rejoin_as_replica(control, request);
        std::string standbys;
        if (rejoined.ok)
            standbys = set_synchronous_standbys(replica, streaming_standbys(replica), layout.synchronous);
        const std::string summary =
            describe(*primary) + " -> " + describe(*target) + ": writes refused for " + seconds_text(write_gap) +
            ", total " + seconds_text(seconds_since(started)) + "; old primary " +
            (rejoined.ok ? "is a replica again (" + rejoined.detail + ")" : "is stopped: " + rejoined.detail) +
            (layout.synchronous ? "; synchronous_standby_names = '" + standbys + "'" : "");
        router.exec_params("SELECT shale.record_event('switchover', $1, $2, $3)",
                           {std::to_string(target->node_id), std::to_string(options.group), summary});
        router.exec_params("UPDATE shale.operation SET phase = $2, finished_at = now(), error = nullif($3, ''), "
                           "write_block_ms = $4, percent_done = 100 WHERE operation_id = $1",
                           {operation_id, rejoined.ok ? "done" : "done, old primary stopped",
                            rejoined.ok ? "" : rejoined.detail, std::to_string(static_cast<long long>(write_gap * 1000))});
        say(rejoined.ok ? "old primary " + describe(*primary) + " rejoined as a replica"
                        : "warning: old primary " + describe(*primary) + " stays stopped: " + rejoined.detail);
        say("switchover done: " + summary);
        return rejoined.ok ? 0 : 1;
    } catch (const std::exception &error) {
        // An unfinished switchover operation pauses shaled's failover of the
        // group: close it, so that automatic failover works again at once.
        PgConnection closing = PgConnection::connect_with_deadline(layout.router_conninfo("shale_switchover"), std::chrono::seconds(5));
        closing.exec_params("UPDATE shale.operation SET phase = 'failed', finished_at = now(), error = $2 "
                            "WHERE operation_id = $1",
                            {operation_id, error.what()});
        throw;
    }
}

}  // namespace shale
