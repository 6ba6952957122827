// promotion.cpp — fencing, candidate choice and promotion for failover.
#include "daemon/promotion.h"

#include <thread>

#include "cli/agent_lease.h"

#include "common/replica_rejoin.h"
#include "common/replication_control.h"

namespace shale {

std::string describe_node(const NodeRecord &node)
{
    return "node " + std::to_string(node.node_id) + " (" + node.host + ":" + std::to_string(node.port) + ")";
}

// fence_through_agent fences a node of a cluster on hosts: through its agent
// when that answers, else by waiting until the agent has fenced it itself
// because its lease ran out (agent_leases.h).
static std::string fence_through_agent(const LocalCluster &cluster, const NodeSpec &spec, const NodeRecord &node)
{
    // the lease thread renews every agent each second: when its last renewal of
    // this host failed, a fence call would only add its own time-out (1.5 s)
    std::string unreachable = cluster.leases() ? cluster.leases()->renewal_error(spec.host_index) : "";
    if (unreachable.empty()) {
        try {
            nlohmann::json answer = cluster.agent_of(spec).call(
                "POST", "/v1/nodes/" + spec.name + "/fence", nlohmann::json::object(), std::chrono::milliseconds(1500));
            return describe_node(node) + ": through its host's agent: " + answer.value("done", std::string("fenced"));
        } catch (const std::exception &error) {
            unreachable = error.what();
        }
    } else {
        unreachable = "its last lease renewal failed: " + unreachable;
    }
    auto left = cluster.leases() ? cluster.leases()->fence_wait_left(spec.host_index) : std::nullopt;
    if (!left)
        return describe_node(node) + ": its agent does not answer (" + unreachable +
               ") and this shaled renewed no lease yet, so it may still run; the catalog no longer names it primary";
    std::this_thread::sleep_for(*left);
    return describe_node(node) + ": its agent does not answer (" + unreachable + "); waited " +
           std::to_string(left->count()) + " ms until its lease (" + std::to_string(kLeaseMilliseconds) +
           " ms) plus the fence deadline had passed: a host cut off from the majority has stopped its primaries "
           "by then";
}

std::string fence_node(const LocalCluster &cluster, const NodeRecord &node)
{
    if (const NodeSpec *remote = cluster.agent_node(node.host, node.port))
        return fence_through_agent(cluster, *remote, node);
    const NodeSpec *local = cluster.node_at(node.host, node.port);
    if (local == nullptr || cluster.control() == nullptr)
        return describe_node(node) + " is not on this machine: it was not stopped; the catalog no longer names "
                                     "it primary, so the router sends it nothing";
    std::string done = cluster.control()->stop_immediate(local->data_dir);
    try {
        mark_as_standby(*cluster.control(), local->data_dir);
        done += "; wrote standby.signal so that it can only start read-only";
    } catch (const std::exception &error) {
        done += std::string("; ") + error.what();
    }
    return describe_node(node) + ": " + done;
}

std::optional<NodeRecord> choose_candidate(const std::vector<NodeRecord> &healthy_replicas, std::string *why)
{
    std::optional<NodeRecord> best;
    unsigned long long best_position = 0;
    std::string errors;
    for (const auto &replica : healthy_replicas) {
        PgConnection connection = connect_node(replica.host, replica.port, 1000);
        std::string error = connection.ok() ? "" : connection.error_message();
        std::optional<std::string> position;
        if (connection.ok())
            position = connection.query_value(
                "SELECT (greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) - '0/0'::pg_lsn)::text "
                "WHERE pg_is_in_recovery()",
                &error);
        if (!position) {
            errors += " " + describe_node(replica) + ": " + error + ";";
            continue;
        }
        unsigned long long bytes = std::stoull(*position);
        if (!best || bytes > best_position) {
            best = replica;
            best_position = bytes;
        }
    }
    if (!best && why != nullptr)
        *why = "no replica answered:" + errors;
    return best;
}

PromotionResult promote_candidate(const NodeRecord &candidate, const std::vector<NodeRecord> &replicas,
                                  bool synchronous)
{
    PromotionResult result;
    if (auto error = promote_replica(candidate.host, candidate.port)) {
        result.error = "promoting " + describe_node(candidate) + " failed: " + *error;
        return result;
    }
    result.ok = true;
    PgConnection primary = connect_node(candidate.host, candidate.port);
    try {
        // Nothing streams from the new primary yet: waiting for a standby would
        // hang every commit until one does, so run without one for now.
        set_synchronous_standbys(primary, {}, synchronous);
        result.degraded = synchronous;
    } catch (const std::exception &error) {
        result.details += std::string(" setting synchronous_standby_names failed: ") + error.what() + ";";
    }
    for (const auto &replica : replicas) {
        if (replica.node_id == candidate.node_id)
            continue;
        if (auto error = repoint_replica(replica.host, replica.port, replica.node_id, candidate.host, candidate.port))
            result.details += " re-pointing " + describe_node(replica) + " failed: " + *error + ";";
        else
            result.details += " " + describe_node(replica) + " now follows it;";
    }
    return result;
}

}  // namespace shale
