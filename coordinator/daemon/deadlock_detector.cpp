// deadlock_detector.cpp — see deadlock_detector.h.
#include "daemon/deadlock_detector.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>

namespace shale {

namespace {

// Lock waits between the router's worker connections on one worker node.
const char *const lock_waits_sql =
    "SELECT substr(w.application_name, 7), substr(b.application_name, 7) "
    "FROM pg_stat_activity w "
    "CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid) "
    "JOIN pg_stat_activity b ON b.pid = blocker.pid "
    "WHERE w.wait_event_type = 'Lock' AND w.application_name LIKE 'shale:%' "
    "AND b.application_name LIKE 'shale:%'";

}  // namespace

std::set<DeadlockDetector::Edge> DeadlockDetector::collect_edges(const PgConnection &router,
                                                                 const std::atomic<bool> &stop)
{
    std::set<Edge> edges;
    PgResult primaries = router.exec_with_deadline(
        "SELECT host, port FROM shale.nodes WHERE group_id > 0 AND role = 'primary'", std::chrono::milliseconds(2000),
        &stop);
    if (!primaries.ok())
        return edges;
    for (int row = 0; row < primaries.rows(); row++) {
        PgConnection worker = PgConnection::connect_with_deadline(
            node_conninfo(primaries.value(row, 0), std::stoi(primaries.value(row, 1))), std::chrono::milliseconds(2000),
            &stop);
        if (!worker.ok())
            continue;  // a node that is down holds no locks anyone waits for
        PgResult waits = worker.exec_with_deadline(lock_waits_sql, std::chrono::milliseconds(2000), &stop);
        if (!waits.ok())
            continue;
        for (int wait = 0; wait < waits.rows(); wait++) {
            try {
                edges.insert({std::stoi(waits.value(wait, 0)), std::stoi(waits.value(wait, 1))});
            } catch (const std::exception &) {
                // an application_name that only looks like ours: ignore it
            }
        }
    }
    return edges;
}

// find_cycle returns the router pids of one cycle in the wait-for graph, or nothing.
std::vector<int> DeadlockDetector::find_cycle(const std::set<Edge> &edges)
{
    std::map<int, std::vector<int>> waits_for;
    for (const Edge &edge : edges)
        waits_for[edge.first].push_back(edge.second);
    std::map<int, int> state;  // 0 unseen, 1 on the current path, 2 done
    std::vector<int> path;
    std::vector<int> cycle;
    std::function<bool(int)> visit = [&](int pid) {
        state[pid] = 1;
        path.push_back(pid);
        for (int next : waits_for[pid]) {
            if (state[next] == 1) {
                cycle.assign(std::find(path.begin(), path.end(), next), path.end());
                return true;
            }
            if (state[next] == 0 && visit(next))
                return true;
        }
        path.pop_back();
        state[pid] = 2;
        return false;
    };
    for (const auto &entry : waits_for)
        if (state[entry.first] == 0 && visit(entry.first))
            break;
    return cycle;
}

void DeadlockDetector::run_if_due(const PgConnection &router, const std::atomic<bool> &stop)
{
    auto now = std::chrono::steady_clock::now();
    if (now - last_run_ < every_)
        return;
    last_run_ = now;
    std::set<Edge> edges = collect_edges(router, stop);
    // only waits seen twice in a row count: a snapshot of one worker can be older than another's
    std::set<Edge> lasting;
    for (const Edge &edge : edges)
        if (previous_edges_.count(edge) > 0)
            lasting.insert(edge);
    previous_edges_ = edges;
    std::vector<int> cycle = find_cycle(lasting);
    if (cycle.empty())
        return;
    int victim = *std::max_element(cycle.begin(), cycle.end());  // the newest backend
    std::string members;
    for (int pid : cycle)
        members += (members.empty() ? "" : " -> ") + std::to_string(pid);
    logger_.warn("distributed deadlock among router backends " + members + "; cancelling " + std::to_string(victim));
    router.exec_params("SELECT shale.cancel_for_deadlock($1)", {std::to_string(victim)});
    if (resolved_counter_ != nullptr)
        (*resolved_counter_)++;
    router.exec_params("INSERT INTO shale.event (kind, detail) VALUES ('distributed_deadlock', $1)",
                       {"waits " + members + "; cancelled backend " + std::to_string(victim)});
    previous_edges_.clear();
}

}  // namespace shale
