// router_failover.cpp — promoting a router replica when the router primary is lost.
#include "daemon/router_failover.h"

#include <ctime>

#include "common/failover_lock.h"
#include "common/replication_control.h"
#include "daemon/node_monitor.h"
#include "daemon/promotion.h"

namespace shale {

// wall_clock_text is the current UTC time as text, for events written later
// than the moment they describe.
static std::string wall_clock_text()
{
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    long millis = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
    char buffer[64];
    std::tm parts;
    gmtime_r(&seconds, &parts);
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &parts);
    char with_millis[80];
    std::snprintf(with_millis, sizeof(with_millis), "%s.%03ld UTC", buffer, millis);
    return with_millis;
}

std::vector<NodeRecord> RouterFailover::router_nodes() const
{
    std::vector<NodeRecord> nodes;
    for (const auto &node : monitor_.last_nodes())
        if (node.group_id == 0)
            nodes.push_back(node);
    return nodes;
}

void RouterFailover::record_switch(const NodeRecord &old_primary, const NodeRecord &promoted,
                                   const std::string &suspected, const std::string &fenced,
                                   const std::string &details, bool degraded)
{
    PgConnection router = connect_node(promoted.host, promoted.port);
    if (!router.ok()) {
        logger_.error("promoted router " + describe_node(promoted) + " but cannot connect to it: " +
                      router.error_message());
        return;
    }
    // Node ids are the same on every router node (the catalog is replicated).
    record_event(router, "suspected", old_primary.node_id, 0, suspected, logger_);
    record_event(router, "fenced", old_primary.node_id, 0, fenced, logger_);
    PgResult switched = router.exec_params("SELECT shale.switch_primary($1, $2)",
                                           {std::to_string(promoted.node_id), details});
    if (!switched.ok())
        logger_.error("cannot switch the router primary in the catalog: " + switched.error_message());
    if (degraded)
        record_event(router, "degraded", promoted.node_id, 0,
                     "the router group runs without a synchronous standby until a replica streams from " +
                         describe_node(promoted) + " again",
                     logger_);
}

void RouterFailover::run(const std::atomic<bool> &stop)
{
    if (!settings_.enabled)
        return;
    std::vector<NodeRecord> nodes = router_nodes();
    if (nodes.empty())
        return;  // never active: a standby daemon does not fail over
    std::vector<NodeHealth> health = checker_.check_nodes(nodes, stop);
    const NodeRecord *primary = nullptr;
    std::vector<NodeRecord> healthy_replicas, replicas;
    for (size_t index = 0; index < nodes.size(); index++) {
        if (health[index].reachable && !health[index].in_recovery) {
            failures_.reset(nodes[index].node_id);
            return;  // a router primary works: the lock connection will find it
        }
        if (nodes[index].role == "primary") {
            primary = &nodes[index];
            failures_.observe(nodes[index].node_id, health[index]);
        } else {
            replicas.push_back(nodes[index]);
            if (health[index].reachable && health[index].in_recovery)
                healthy_replicas.push_back(nodes[index]);
        }
    }
    if (primary == nullptr || !failures_.exceeded(primary->node_id, settings_))
        return;
    const std::string why = describe_node(*primary) + ": " + failures_.summary(primary->node_id);
    if (auto unsafe = worker_failover_.unsafe_failover_reason(*primary)) {
        // the router is down: the reason goes to the log only (no catalog to write an event to)
        if (last_warning_ != *unsafe)
            logger_.error("router failover: " + *unsafe);
        last_warning_ = *unsafe;
        return;
    }
    if (healthy_replicas.empty()) {
        if (last_warning_ != why)
            logger_.warn("the router primary is lost (" + why + ") and no router replica is healthy; waiting");
        last_warning_ = why;
        return;
    }
    FailoverLock lock(cluster_.dir().empty() ? "/nonexistent" : cluster_.dir());
    if (!lock.try_lock()) {
        logger_.info("router: a switchover holds the failover lock; not failing over");
        return;
    }
    const std::string suspected = why + " (at " + wall_clock_text() + ")";
    logger_.warn("router failover: " + suspected);
    const std::string fenced = fence_node(cluster_, *primary) + " (at " + wall_clock_text() + ")";
    std::string no_candidate;
    auto candidate = choose_candidate(healthy_replicas, &no_candidate);
    if (!candidate) {
        logger_.error("router failover: " + no_candidate);
        return;
    }
    PromotionResult promotion = promote_candidate(*candidate, replicas, cluster_.synchronous());
    if (!promotion.ok) {
        logger_.error("router failover: " + promotion.error);
        return;
    }
    const std::string details = "router " + describe_node(*candidate) + " promoted in place of " +
                                describe_node(*primary) + " (at " + wall_clock_text() + ");" + promotion.details;
    logger_.info(details);
    record_switch(*primary, *candidate, suspected, fenced, details, promotion.degraded);
    failures_.reset(primary->node_id);
}

}  // namespace shale
