// shard_operations.cpp — `shale rebalance` and `shale drain`: queue the
// operation through the extension (shale.rebalance(), shale.drain_group()),
// print its id, and with --wait follow shale.operations until it ends,
// printing a line whenever its progress changes. `drain --remove` then
// unregisters the emptied group's nodes, stops them and drops them from
// cluster.json.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "cli/daemon_control.h"
#include "cli/node_control.h"
#include "cli/scaling_commands.h"
#include "common/backup_repository.h"
#include "common/os_user.h"

namespace shale {

namespace {

using Clock = std::chrono::steady_clock;

void progress(const std::string &message)
{
    std::cout << "shale: " << message << std::endl;
}

// sql_or_fail runs one statement on the router or throws with its message
// (the extension's messages already say what is wrong and what to do).
PgResult sql_or_fail(const PgConnection &router, const std::string &sql, const std::vector<std::string> &params = {})
{
    PgResult result = params.empty() ? router.exec(sql) : router.exec_params(sql, params);
    if (!result.ok()) {
        // The primary message and the hint read best ("worker group 9 does not
        // exist (hint: ...)"); severity and PL/pgSQL context lines are noise here.
        const char *primary = result.get() ? PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        const char *hint = result.get() ? PQresultErrorField(result.get(), PG_DIAG_MESSAGE_HINT) : nullptr;
        std::string message = primary ? primary : result.error_message();
        while (!message.empty() && message.back() == '\n')
            message.pop_back();
        if (hint)
            message += " (hint: " + std::string(hint) + ")";
        throw CliError(message);
    }
    return result;
}

// OperationState is one poll of shale.operations for the followed operation.
struct OperationState {
    std::string phase;
    std::string percent_done;
    long long moves = 0;       // rebalance_move / drain_move events of this operation
    std::string last_move;     // the detail of the latest of them
    std::string current_move;  // the move or split running now, if any
    bool finished = false;
    std::string error;
};

OperationState read_operation(const PgConnection &router, const std::string &operation_id, const std::string &kind)
{
    // Moves are counted from shale.event, whose detail reads "operation ID moved
    // shard S to group G" (run_scaling_step writes it that way).
    PgResult result = sql_or_fail(
        router,
        "SELECT o.phase, o.percent_done, o.finished_at IS NOT NULL, coalesce(o.error, ''), "
        "  (SELECT count(*) FROM shale.event e WHERE e.kind = $2 || '_move' "
        "     AND e.detail LIKE 'operation ' || $1 || ' moved %'), "
        "  coalesce((SELECT e.detail FROM shale.event e WHERE e.kind = $2 || '_move' "
        "     AND e.detail LIKE 'operation ' || $1 || ' moved %' ORDER BY e.event_id DESC LIMIT 1), ''), "
        "  coalesce((SELECT format('%s %s of shard(s) %s: %s, %s%% copied', m.kind, m.operation_id, "
        "                          array_to_string(m.shard_ids, ','), m.phase, m.percent_done) "
        "            FROM shale.operation m WHERE m.kind IN ('move', 'split') AND m.finished_at IS NULL "
        "            ORDER BY m.operation_id DESC LIMIT 1), '') "
        "FROM shale.operation o WHERE o.operation_id = $1::bigint",
        {operation_id, kind});
    if (result.rows() != 1)
        throw CliError("operation " + operation_id + " is not in shale.operations any more");
    OperationState state;
    state.phase = result.value(0, 0);
    state.percent_done = result.value(0, 1);
    state.finished = result.value(0, 2) == "t";
    state.error = result.value(0, 3);
    state.moves = std::stoll(result.value(0, 4));
    state.last_move = result.value(0, 5);
    state.current_move = result.value(0, 6);
    return state;
}

// wait_for_operation follows the operation until it ends; throws when it
// failed or the timeout passed. Without a running shaled, nobody would run the
// steps, so the CLI runs them itself (shale.run_scaling_step() serialises
// callers with an advisory lock, so a shaled that starts meanwhile is no
// problem).
void wait_for_operation(const ClusterLayout &layout, const PgConnection &router, const std::string &operation_id,
                        const std::string &kind, int timeout_s)
{
    const auto started = Clock::now();
    std::string last_line;
    auto last_print = started;
    bool hinted = false;
    for (;;) {
        bool run_steps = !daemon_pid(layout);
        if (run_steps)
            sql_or_fail(router, "SELECT shale.run_scaling_step()");
        OperationState state = read_operation(router, operation_id, kind);
        std::string line = kind + " " + operation_id + ": " + state.phase + ", " + state.percent_done + "% done, " +
                           std::to_string(state.moves) + " move(s) so far";
        if (!state.last_move.empty())
            line += "; last: " + state.last_move.substr(state.last_move.find(" moved ") + 1);
        if (!state.current_move.empty() && !state.finished)
            line += "; now: " + state.current_move;
        // a line when something changed, and at least every 10 s as a heartbeat
        if (line != last_line || Clock::now() - last_print > std::chrono::seconds(10)) {
            progress(line);
            last_line = line;
            last_print = Clock::now();
        }
        if (state.finished) {
            if (state.phase != "done" || !state.error.empty())
                throw CliError(kind + " " + operation_id + " " + state.phase +
                               (state.error.empty() ? "" : ": " + state.error) +
                               " (details: SELECT * FROM shale.event ORDER BY event_id DESC LIMIT 20)");
            auto seconds = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count() / 1000.0;
            progress(kind + " " + operation_id + " finished: " + std::to_string(state.moves) + " move(s) in " +
                     std::to_string(seconds).substr(0, std::to_string(seconds).find('.') + 2) + " s");
            return;
        }
        // a shaled without a working scaling thread (an old binary, or one that
        // cannot reach the router) leaves the operation queued: say where to look
        if (!hinted && state.phase == "planned" && Clock::now() - started > std::chrono::seconds(30)) {
            progress("note: nothing has run the operation for 30 s; shaled runs one step every 5 s when idle, "
                     "see " + layout.daemon_log());
            hinted = true;
        }
        if (timeout_s > 0 && Clock::now() - started > std::chrono::seconds(timeout_s))
            throw CliError("gave up waiting for " + kind + " " + operation_id + " after " + std::to_string(timeout_s) +
                           " s; it goes on in the background (see shale status)");
        // when the CLI runs the steps itself, each step is one whole move: poll again at once
        std::this_thread::sleep_for(run_steps ? std::chrono::milliseconds(100) : std::chrono::seconds(1));
    }
}

// wait_for_cleanup waits until the moves of the drain have had their old
// shards dropped from the group (shale.cleanup_operations(), which shaled also
// runs): once the group's nodes are unregistered, nobody could reach them.
void wait_for_cleanup(const PgConnection &router, int group)
{
    const std::string id = std::to_string(group);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    for (;;) {
        router.exec("SELECT shale.cleanup_operations()");  // busy with a running move: the count below says so
        PgResult pending = sql_or_fail(router,
                                       "SELECT count(*) FROM shale.operation WHERE finished_at IS NULL AND kind IN "
                                       "('move', 'split') AND (source_group = $1::int OR $1::int = ANY(target_groups))",
                                       {id});
        if (pending.value(0, 0) == "0")
            return;
        if (Clock::now() > deadline)
            throw CliError("moves off group " + id + " still wait for their clean-up after 60 s; the group was not "
                           "removed. Try again later: shale drain --group " + id + " --remove");
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

// remove_drained_group unregisters every node of an empty group (replicas
// first: shale.remove_node refuses a primary that still has replicas), in one
// transaction, then stops the nodes and drops them from cluster.json. Their
// data directories stay on disk: removing data is left to the user.
void remove_drained_group(const std::string &dir, int group)
{
    LayoutChangeLock lock(dir);
    ClusterLayout layout = load_cluster_or_fail(dir);
    PgConnection router = connect_router_or_fail(layout);
    const std::string id = std::to_string(group);
    wait_for_cleanup(router, group);
    PgResult placements = sql_or_fail(router, "SELECT count(*) FROM shale.placement WHERE group_id = $1::int", {id});
    if (placements.value(0, 0) != "0")
        throw CliError("worker group " + id + " still holds " + placements.value(0, 0) +
                       " placement(s); it was not removed (drain it first: shale drain --group " + id + " --wait)");
    PgResult nodes = sql_or_fail(router,
                                 "SELECT node_id, port FROM shale.nodes WHERE group_id = $1::int "
                                 "ORDER BY role = 'primary', node_id",
                                 {id});
    sql_or_fail(router, "BEGIN");
    for (int row = 0; row < nodes.rows(); row++)
        sql_or_fail(router, "SELECT shale.remove_node($1::int)", {nodes.value(row, 0)});
    sql_or_fail(router, "COMMIT");
    progress("unregistered " + std::to_string(nodes.rows()) + " node(s) of worker group " + id);

    // The layout group whose nodes listen on those ports (the same number for
    // groups made by shale up or add-group).
    std::vector<NodeSpec> removed;
    for (int row = 0; row < nodes.rows(); row++)
        for (const auto &node : layout.nodes)
            if (node.kind == "worker" && std::to_string(node.port) == nodes.value(row, 1)) {
                ClusterLayout shrunk = layout;
                removed = shrunk.remove_group(node.group);
                OsUser user = server_user();
                NodeControl control(layout, user);
                for (bool primaries : {true, false}) {  // primaries first, as shale down does
                    std::vector<NodeSpec> running;
                    for (const auto &candidate : removed)
                        if (candidate.is_primary() == primaries && NodeControl::postmaster_pid(candidate))
                            running.push_back(candidate);
                    if (!running.empty())
                        control.stop(running);
                }
                // the pgBackRest configuration follows cluster.json (the old
                // group's archive and backups stay in the repository)
                if (access(BackupPaths(dir).config_file.c_str(), R_OK) == 0)
                    prepare_backup_repository(shrunk, user);
                shrunk.save();
                progress("stopped and removed " + std::to_string(removed.size()) +
                         " node(s) from cluster.json; their data directories stay in " + dir + "/group" +
                         std::to_string(node.group) + " (delete them when you no longer need them)");
                return;
            }
    progress("warning: no node of worker group " + id + " is in " + layout.layout_file() + "; nothing stopped");
}

// report_queued says who runs a queued operation and prints its id (the last line).
void report_queued(const ClusterLayout &layout, const std::string &dir, const std::string &operation_id,
                   const std::string &command)
{
    progress(daemon_pid(layout) ? "shaled runs it; follow it with: shale status --dir " + dir
                                : "warning: shaled is not running, so nothing runs it: start it with shale up, "
                                  "or run shale " + command + " --wait (which runs the steps itself)");
    std::cout << operation_id << std::endl;
}

}  // namespace

int cluster_rebalance(const ShardOperationOptions &options)
{
    ClusterLayout layout = load_cluster_or_fail(options.dir);
    PgConnection router = connect_router_or_fail(layout);
    std::string operation_id = sql_or_fail(router, "SELECT shale.rebalance()").value(0, 0);
    progress("rebalance queued as operation " + operation_id);
    if (!options.wait) {
        report_queued(layout, options.dir, operation_id, "rebalance");
        return 0;
    }
    wait_for_operation(layout, router, operation_id, "rebalance", options.timeout_s);
    return 0;
}

int cluster_drain(const ShardOperationOptions &options)
{
    ClusterLayout layout = load_cluster_or_fail(options.dir);
    PgConnection router = connect_router_or_fail(layout);
    const std::string group = std::to_string(options.group);
    std::string operation_id = sql_or_fail(router, "SELECT shale.drain_group($1::int)", {group}).value(0, 0);
    progress("drain of worker group " + group + " queued as operation " + operation_id +
             " (the group takes no new shards from now on)");
    if (!options.wait && !options.remove) {
        report_queued(layout, options.dir, operation_id, "drain");
        return 0;
    }
    wait_for_operation(layout, router, operation_id, "drain", options.timeout_s);
    if (options.remove)
        remove_drained_group(options.dir, options.group);
    return 0;
}

}  // namespace shale
