// rejoin.cpp — background rejoins of fenced nodes.
#include "daemon/rejoin.h"

#include "common/replication_control.h"
#include "daemon/failover.h"
#include "daemon/promotion.h"

namespace shale {

namespace {
constexpr int kRejoinAttempts = 3;
constexpr auto kRetryDelay = std::chrono::seconds(5);
}  // namespace

RejoinScheduler::~RejoinScheduler()
{
    // Let running rejoins finish (a half-done pg_rewind is worse than a wait).
    for (auto &[node_id, running] : running_)
        if (running.result.valid())
            running.result.wait();
}

void RejoinScheduler::start(const NodeRecord &node, const NodeRecord &primary)
{
    if (const NodeSpec *remote = cluster_.agent_node(node.host, node.port)) {
        // on a host: its agent runs the same rejoin_as_replica there
        logger_.info("rejoining " + describe_node(node) + " as a replica of " + describe_node(primary) +
                     " through its host's agent (attempt " + std::to_string(attempts_[node.node_id] + 1) + ")");
        Running running;
        running.node = node;
        running.primary = primary;
        AgentClient agent = cluster_.agent_of(*remote);
        nlohmann::json request = {{"node_id", node.node_id},
                                  {"primary", {{"host", primary.host}, {"port", primary.port}}}};
        const std::string name = remote->name;
        running.result = std::async(std::launch::async, [agent, request, name]() mutable {
            try {
                nlohmann::json answer =
                    agent.call("POST", "/v1/nodes/" + name + "/rejoin", request, std::chrono::minutes(10));
                return RejoinResult{true, answer.value("detail", std::string("rejoined")) + " (by the agent of " +
                                              agent.endpoint() + ")"};
            } catch (const std::exception &error) {
                return RejoinResult{false, error.what()};
            }
        });
        running_.emplace(node.node_id, std::move(running));
        return;
    }
    const NodeSpec *local = cluster_.node_at(node.host, node.port);
    RejoinRequest request;
    request.node_id = node.node_id;
    request.data_dir = local->data_dir;
    request.server_log = cluster_.server_log(*local);
    request.port = node.port;
    request.primary_host = primary.host;
    request.primary_port = primary.port;
    const ServerControl *control = cluster_.control();
    logger_.info("rejoining " + describe_node(node) + " as a replica of " + describe_node(primary) +
                 " (attempt " + std::to_string(attempts_[node.node_id] + 1) + ")");
    Running running;
    running.node = node;
    running.primary = primary;
    running.result = std::async(std::launch::async, [control, request]() {
        try {
            return rejoin_as_replica(*control, request);
        } catch (const std::exception &error) {
            return RejoinResult{false, error.what()};
        }
    });
    running_.emplace(node.node_id, std::move(running));
}

void RejoinScheduler::finish(const PgConnection &router, Running &running, const RejoinResult &result)
{
    const long long node_id = running.node.node_id;
    if (result.ok) {
        std::string detail = describe_node(running.node) + " " + result.detail;
        PgConnection primary = connect_node(running.primary.host, running.primary.port);
        if (primary.ok() && cluster_.synchronous()) {
            try {
                std::string value = set_synchronous_standbys(primary, streaming_standbys(primary), true);
                detail += "; synchronous_standby_names on the primary = '" + value + "'";
            } catch (const std::exception &error) {
                detail += std::string("; could not set synchronous_standby_names: ") + error.what();
            }
        }
        logger_.info("rejoined: " + detail);
        record_event(router, "rejoined", node_id, running.node.group_id, detail, logger_);
        attempts_.erase(node_id);
        return;
    }
    int attempts = ++attempts_[node_id];
    logger_.warn("rejoin of " + describe_node(running.node) + " failed (attempt " + std::to_string(attempts) +
                 "): " + result.detail);
    if (attempts >= kRejoinAttempts) {
        record_event(router, "rejoin_failed", node_id, running.node.group_id,
                     describe_node(running.node) + " stays stopped: " + result.detail, logger_);
        attempts_.erase(node_id);
        return;
    }
    next_try_[node_id] = std::chrono::steady_clock::now() + kRetryDelay;
}

void RejoinScheduler::run_round(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                                const std::vector<NodeHealth> &health, const std::set<long long> &paused)
{
    for (auto it = running_.begin(); it != running_.end();) {
        if (it->second.result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            ++it;
            continue;
        }
        RejoinResult result = it->second.result.get();
        finish(router, it->second, result);
        it = running_.erase(it);
    }

    PgResult due = router.exec(
        "SELECT f.node_id FROM shale.event f JOIN shale.node n ON n.node_id = f.node_id "
        "WHERE f.kind = 'fenced' AND n.role = 'replica' AND NOT EXISTS (SELECT 1 FROM shale.event r "
        "WHERE r.node_id = f.node_id AND r.kind IN ('rejoined', 'rejoin_failed') AND r.event_id > f.event_id)");
    if (!due.ok())
        return;
    std::set<long long> due_nodes;
    for (int row = 0; row < due.rows(); row++)
        due_nodes.insert(std::stoll(due.value(row, 0)));
    const auto now = std::chrono::steady_clock::now();
    for (long long node_id : due_nodes) {
        if (running_.count(node_id) || (next_try_.count(node_id) && now < next_try_[node_id]))
            continue;
        const NodeRecord *node = nullptr;
        const NodeRecord *primary = nullptr;
        for (size_t index = 0; index < nodes.size(); index++)
            if (nodes[index].node_id == node_id)
                node = &nodes[index];
        if (node == nullptr || paused.count(node->group_id))
            continue;
        for (size_t index = 0; index < nodes.size(); index++)
            if (nodes[index].group_id == node->group_id && nodes[index].role == "primary" &&
                health[index].reachable && !health[index].in_recovery)
                primary = &nodes[index];
        if (primary == nullptr)
            continue;  // wait for a working primary
        if (cluster_.agent_node(node->host, node->port) == nullptr &&
            (cluster_.node_at(node->host, node->port) == nullptr || cluster_.control() == nullptr)) {
            record_event(router, "rejoin_failed", node_id, node->group_id,
                         describe_node(*node) + " is not on this machine; rejoin it by hand (pg_rewind, then "
                                                "start it as a standby of " + describe_node(*primary) + ")",
                         logger_);
            continue;
        }
        start(*node, *primary);
    }
}

}  // namespace shale
