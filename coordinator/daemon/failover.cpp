// failover.cpp — worker-group failover decisions and steps.
#include "daemon/failover.h"

#include "common/failover_lock.h"
#include "common/replication_control.h"
#include "daemon/promotion.h"

namespace shale {

void FailureCounter::observe(long long node_id, const NodeHealth &health)
{
    if (health.reachable) {
        counts_.erase(node_id);
        return;
    }
    if (health.failure != CheckFailure::refused && health.failure != CheckFailure::timeout)
        return;
    Count &count = counts_[node_id];
    if (health.failure == CheckFailure::refused)
        count.refused++;
    else
        count.refused = 0;  // "in a row": a time-out breaks a run of refusals
    count.failed++;
    count.last_error = health.error;
    count.last_kind = failure_name(health.failure);
}

bool FailureCounter::exceeded(long long node_id, const FailoverSettings &settings) const
{
    auto found = counts_.find(node_id);
    if (found == counts_.end())
        return false;
    return found->second.refused >= settings.refused_checks || found->second.failed >= settings.timeout_checks;
}

bool FailureCounter::deciding(const FailoverSettings &settings) const
{
    for (const auto &[node_id, count] : counts_)
        if (!exceeded(node_id, settings))
            return true;
    return false;
}

std::string FailureCounter::summary(long long node_id) const
{
    auto found = counts_.find(node_id);
    if (found == counts_.end())
        return "no failed check";
    std::string error = found->second.last_error;
    for (auto &c : error)
        if (c == '\n' || c == '\t')
            c = ' ';
    return std::to_string(found->second.failed) + " checks in a row failed (last: " + found->second.last_kind +
           "): " + error;
}

bool record_event(const PgConnection &router, const std::string &kind, long long node_id, long long group_id,
                  const std::string &detail, Logger &logger)
{
    PgResult result = router.exec_params("SELECT shale.record_event($1, $2, $3, $4)",
                                         {kind, std::to_string(node_id), std::to_string(group_id), detail});
    if (!result.ok()) {
        logger.warn("cannot record event " + kind + ": " + result.error_message());
        return false;
    }
    return true;
}

void FailoverController::warn_once(const std::string &topic, const std::string &message)
{
    if (warned_[topic] == message)
        return;
    warned_[topic] = message;
    logger_.warn(message);
}

std::set<long long> FailoverController::paused_groups(const PgConnection &router)
{
    std::set<long long> groups;
    PgResult result = router.exec(
        "SELECT DISTINCT source_group FROM shale.operation WHERE kind = 'switchover' AND finished_at IS NULL "
        "AND source_group IS NOT NULL AND started_at > now() - interval '2 minutes'");
    for (int row = 0; row < result.rows(); row++)
        groups.insert(std::stoll(result.value(row, 0)));
    return groups;
}

std::optional<std::string> FailoverController::unsafe_failover_reason(const NodeRecord &primary) const
{
    const long long group = primary.group_id;
    if (!unsafe_groups_.count(group))
        return std::nullopt;
    // Its replicas were lost and the primary acknowledged commits alone:
    // any replica may miss some of them.
    const std::string which = group == 0 ? "the router" : "group " + std::to_string(group);
    return "the primary of " + which + ", " + describe_node(primary) +
           ", is lost, but it ran without a synchronous standby since its replicas were lost: promoting one "
           "could lose acknowledged commits. Not failing over; bring the primary back, or promote a replica by "
           "hand (SELECT pg_promote() on it, then SELECT shale.switch_primary(<node id>, 'by hand'))";
}

void FailoverController::fail_over_group(const PgConnection &router, const NodeRecord &primary,
                                         const std::vector<NodeRecord> &nodes, const std::vector<NodeHealth> &health)
{
    const long long group = primary.group_id;
    const std::string topic = "group " + std::to_string(group);
    if (auto unsafe = unsafe_failover_reason(primary)) {
        const std::string &message = *unsafe;
        if (warned_["unsafe " + std::to_string(group)] != message)
            record_event(router, "failover_failed", primary.node_id, group, message, logger_);
        warn_once("unsafe " + std::to_string(group), message);
        return;
    }
    std::vector<NodeRecord> healthy_replicas;
    std::vector<NodeRecord> replicas;
    for (size_t index = 0; index < nodes.size(); index++) {
        if (nodes[index].group_id != group || nodes[index].role != "replica")
            continue;
        if (rejoins_.in_progress(nodes[index].node_id))
            continue;  // a node being rewound is no candidate
        replicas.push_back(nodes[index]);
        if (health[index].reachable && health[index].in_recovery)
            healthy_replicas.push_back(nodes[index]);
    }
    if (healthy_replicas.empty()) {
        warn_once(topic, "the primary of group " + std::to_string(group) + ", " + describe_node(primary) +
                             ", is lost (" + failures_.summary(primary.node_id) +
                             ") but no healthy replica can replace it; waiting");
        return;
    }
    FailoverLock lock(cluster_.dir().empty() ? "/nonexistent" : cluster_.dir());
    if (!lock.try_lock()) {
        logger_.info("group " + std::to_string(group) + ": a switchover holds the failover lock; not failing over");
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    const std::string why = failures_.summary(primary.node_id);
    logger_.warn("failover of group " + std::to_string(group) + ": primary " + describe_node(primary) + " lost: " + why);
    record_event(router, "suspected", primary.node_id, group, describe_node(primary) + ": " + why, logger_);

    std::string fenced = fence_node(cluster_, primary);
    PgResult fence = router.exec_params("SELECT shale.fence_group($1, $2)", {std::to_string(group), fenced});
    if (!fence.ok())
        logger_.warn("cannot mark group " + std::to_string(group) + " fenced: " + fence.error_message());
    logger_.info("fenced " + fenced);

    std::string no_candidate;
    auto candidate = choose_candidate(healthy_replicas, &no_candidate);
    if (!candidate) {
        record_event(router, "failover_failed", primary.node_id, group, no_candidate, logger_);
        return;
    }
    PromotionResult promotion = promote_candidate(*candidate, replicas, cluster_.synchronous());
    if (!promotion.ok) {
        logger_.error(promotion.error);
        record_event(router, "failover_failed", candidate->node_id, group, promotion.error, logger_);
        return;
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::string detail = describe_node(*candidate) + " promoted in place of " + describe_node(primary) + " (" +
                         std::to_string(elapsed.count()) + " ms after the decision);" + promotion.details;
    PgResult switched =
        router.exec_params("SELECT shale.switch_primary($1, $2)", {std::to_string(candidate->node_id), detail});
    if (!switched.ok()) {
        // The next round adopts the promoted node (guard_primaries) once it can.
        logger_.error("promoted " + describe_node(*candidate) + " but could not switch the catalog: " +
                      switched.error_message());
        return;
    }
    logger_.info("group " + std::to_string(group) + " failed over: " + detail);
    failures_.reset(primary.node_id);
    if (promotion.degraded) {
        degraded_groups_.insert(group);
        record_event(router, "degraded", candidate->node_id, group,
                     "group " + std::to_string(group) + " runs without a synchronous standby until a replica "
                     "streams from " + describe_node(*candidate) + " again",
                     logger_);
    }
}

void FailoverController::guard_primaries(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                                         const std::vector<NodeHealth> &health, const std::set<long long> &paused)
{
    for (size_t index = 0; index < nodes.size(); index++) {
        const NodeRecord &node = nodes[index];
        if (node.role != "replica" || !health[index].reachable || health[index].in_recovery ||
            paused.count(node.group_id) || rejoins_.in_progress(node.node_id))
            continue;
        bool recorded_primary_works = false;
        for (size_t other = 0; other < nodes.size(); other++)
            if (nodes[other].group_id == node.group_id && nodes[other].role == "primary" &&
                health[other].reachable && !health[other].in_recovery)
                recorded_primary_works = true;
        FailoverLock lock(cluster_.dir().empty() ? "/nonexistent" : cluster_.dir());
        if (!lock.try_lock())
            continue;
        if (!recorded_primary_works && node.group_id != 0) {
            // A failover promoted it but stopped before the catalog switch.
            PgResult switched = router.exec_params(
                "SELECT shale.switch_primary($1, $2)",
                {std::to_string(node.node_id), describe_node(node) + " already runs as the primary; catalog updated"});
            logger_.warn("adopted " + describe_node(node) + " as the primary of group " +
                         std::to_string(node.group_id) + (switched.ok() ? "" : ": " + switched.error_message()));
            continue;
        }
        if (!recorded_primary_works)
            continue;
        std::string fenced = fence_node(cluster_, node);
        logger_.error("second primary in group " + std::to_string(node.group_id) + ": " + fenced);
        record_event(router, "fenced", node.node_id, node.group_id,
                     "ran as a second primary next to the recorded one; " + fenced, logger_);
    }
}

void FailoverController::degrade_without_replicas(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                                                  const std::vector<NodeHealth> &health)
{
    if (!cluster_.synchronous())
        return;
    std::map<long long, const NodeRecord *> working_primary;
    std::map<long long, bool> every_replica_lost;
    for (size_t index = 0; index < nodes.size(); index++) {
        const NodeRecord &node = nodes[index];
        if (node.role == "primary" && health[index].reachable && !health[index].in_recovery)
            working_primary[node.group_id] = &node;
        if (node.role == "replica") {
            bool lost = replica_failures_.exceeded(node.node_id, settings_);
            every_replica_lost[node.group_id] = every_replica_lost.count(node.group_id)
                                                    ? every_replica_lost[node.group_id] && lost
                                                    : lost;
        }
    }
    for (const auto &[group, lost] : every_replica_lost) {
        if (!lost || !working_primary.count(group) || degraded_groups_.count(group))
            continue;
        const NodeRecord &primary = *working_primary[group];
        PgConnection connection = connect_node(primary.host, primary.port, 1000);
        auto current = connection.ok() ? connection.query_value("SHOW synchronous_standby_names") : std::nullopt;
        if (!current || current->empty())
            continue;
        try {
            set_synchronous_standbys(connection, {}, true);
        } catch (const std::exception &error) {
            warn_once("degrade " + std::to_string(group), error.what());
            continue;
        }
        degraded_groups_.insert(group);
        unsafe_groups_.insert(group);
        const std::string detail = "no replica of group " + std::to_string(group) +
                                   " answers: its commits would wait forever, so " + describe_node(primary) +
                                   " runs without a synchronous standby until one streams again (was '" + *current +
                                   "')";
        logger_.warn(detail);
        record_event(router, "degraded", primary.node_id, group, detail, logger_);
    }
}

void FailoverController::restore_synchronous(const PgConnection &router, const std::vector<NodeRecord> &nodes)
{
    for (auto it = degraded_groups_.begin(); it != degraded_groups_.end();) {
        const NodeRecord *primary = nullptr;
        for (const auto &node : nodes)
            if (node.group_id == *it && node.role == "primary")
                primary = &node;
        PgConnection connection = primary ? connect_node(primary->host, primary->port, 1000) : PgConnection();
        if (!connection.ok()) {
            ++it;
            continue;
        }
        auto current = connection.query_value("SHOW synchronous_standby_names");
        if (current && !current->empty()) {
            it = degraded_groups_.erase(it);  // already synchronous
            continue;
        }
        // pg_stat_replication keeps a cut-off replica "streaming" until the
        // walsender times out (a partition sends no FIN): only a replica that
        // also answers the health checks again ends the degraded state
        bool replica_answers = false;
        for (const auto &node : nodes)
            if (node.group_id == *it && node.role == "replica" && !replica_failures_.exceeded(node.node_id, settings_))
                replica_answers = true;
        std::vector<std::string> standbys = replica_answers ? streaming_standbys(connection) : std::vector<std::string>();
        if (standbys.empty()) {
            ++it;
            continue;
        }
        try {
            std::string value = set_synchronous_standbys(connection, standbys, true);
            record_event(router, "synchronous_restored", primary->node_id, *it,
                         "synchronous_standby_names = '" + value + "'", logger_);
            logger_.info("group " + std::to_string(*it) + " is synchronous again: " + value);
            unsafe_groups_.erase(*it);
            it = degraded_groups_.erase(it);
        } catch (const std::exception &error) {
            warn_once("sync " + std::to_string(*it), error.what());
            ++it;
        }
    }
}

void FailoverController::run_round(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                                   const std::vector<NodeHealth> &health)
{
    if (!settings_.enabled)
        return;
    if (!seeded_degraded_ && cluster_.synchronous()) {
        // After a restart, look once at every group: one left degraded by an
        // earlier run is repaired like a fresh one.
        for (const auto &node : nodes)
            if (node.role == "replica")
                degraded_groups_.insert(node.group_id);
        seeded_degraded_ = true;
    }
    std::set<long long> paused = paused_groups(router);
    for (size_t index = 0; index < nodes.size(); index++)
        (nodes[index].role == "primary" ? failures_ : replica_failures_).observe(nodes[index].node_id, health[index]);
    // First: a router whose every replica is lost (a replica's host cut off
    // too) must stop waiting for it, or the failover's own catalog writes below would wait forever.
    degrade_without_replicas(router, nodes, health);
    for (size_t index = 0; index < nodes.size(); index++) {
        const NodeRecord &node = nodes[index];
        // group 0: the router answers this very connection; router_failover.h
        // handles its loss.
        if (node.role != "primary" || node.group_id == 0 || !failures_.exceeded(node.node_id, settings_))
            continue;
        if (paused.count(node.group_id)) {
            warn_once("paused " + std::to_string(node.group_id),
                      "group " + std::to_string(node.group_id) + ": switchover in progress; no automatic failover");
            continue;
        }
        fail_over_group(router, node, nodes, health);
    }
    guard_primaries(router, nodes, health, paused);
    rejoins_.run_round(router, nodes, health, paused);
    restore_synchronous(router, nodes);
}

}  // namespace shale
