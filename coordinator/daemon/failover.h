// failover.h — automatic failover of worker groups, run by the active shaled
// after each health round: counts each primary's consecutive failed checks, and
// when a primary is lost (connection refused, or no answer at all, for a number
// of checks in a row) and a healthy replica exists: event 'suspected', fence
// (event 'fenced'), promote the most advanced replica, switch the group's
// primary in the catalog in one transaction (event 'promoted'), re-point the
// other replicas, and run without a synchronous standby until one streams again
// (event 'degraded'). It also stops a node that runs as a second primary, and
// hands fenced nodes to the rejoin scheduler. The router group fails over in
// router_failover.h, because losing the router also loses the leader connection.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/logger.h"
#include "common/pg_connection.h"
#include "daemon/health_checker.h"
#include "daemon/local_cluster.h"
#include "daemon/rejoin.h"

namespace shale {

// kConfirmInterval is the pause before the next check once a primary failed
// one: a lost primary is confirmed in a fraction of a second instead of one
// check interval per failure. A refused connection cannot come from load, and
// time-outs still need their own full time-out each, so this does not make a
// slow primary look lost any sooner.
constexpr std::chrono::milliseconds kConfirmInterval{300};

struct FailoverSettings {
    bool enabled = true;
    // Consecutive "connection refused" checks that mean the postmaster is gone.
    // Refused is never caused by load: a busy server still accepts connections.
    int refused_checks = 2;
    // Consecutive failed checks (refused or timed out) that mean the machine is
    // lost. A time-out can come from a very slow server, so this is higher.
    int timeout_checks = 5;
};

// FailureCounter counts consecutive hard failures per node. A reachable check
// resets it; a server that answers with an error (starting up, too many
// connections) neither counts nor resets.
class FailureCounter {
public:
    void observe(long long node_id, const NodeHealth &health);
    bool exceeded(long long node_id, const FailoverSettings &settings) const;
    // summary is e.g. "3 checks in a row failed (refused): <last error>".
    std::string summary(long long node_id) const;
    void reset(long long node_id) { counts_.erase(node_id); }
    // deciding tells whether some node failed a check but not yet enough of
    // them: a failover may be seconds away.
    bool deciding(const FailoverSettings &settings) const;

private:
    struct Count {
        int refused = 0;
        int failed = 0;  // refused or timed out
        std::string last_error;
        std::string last_kind;
    };
    std::map<long long, Count> counts_;
};

// record_event writes one row of shale.event through shale.record_event.
bool record_event(const PgConnection &router, const std::string &kind, long long node_id, long long group_id,
                  const std::string &detail, Logger &logger);

class FailoverController {
public:
    FailoverController(FailoverSettings settings, const LocalCluster &cluster, Logger &logger)
        : settings_(settings), cluster_(cluster), logger_(logger), rejoins_(cluster, logger) {}

    // run_round acts on one round's checks (nodes[i] was checked as health[i]).
    void run_round(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                   const std::vector<NodeHealth> &health);
    const FailoverSettings &settings() const { return settings_; }
    // unsafe_failover_reason says why promoting a replica of the primary's group
    // could lose acknowledged commits (the group ran without a synchronous
    // standby since its replicas were lost), or nothing when it is safe. The
    // router group (0) is tracked here too, for RouterFailover.
    std::optional<std::string> unsafe_failover_reason(const NodeRecord &primary) const;
    // deciding is true while a primary (or replica) failed checks but is not
    // yet declared lost; the main loop then skips work that would wait for that primary
    // (2PC recovery, deadlock detection), so the next check comes on time.
    bool deciding() const
    {
        // a lost replica matters too: with synchronous replication its
        // primary's commits wait until degrade_without_replicas acts
        return settings_.enabled && (failures_.deciding(settings_) || replica_failures_.deciding(settings_));
    }

private:
    // paused_groups are groups with a `shale switchover` in progress (an
    // unfinished 'switchover' operation younger than two minutes).
    std::set<long long> paused_groups(const PgConnection &router);
    // fail_over_group runs the failover of one worker group.
    void fail_over_group(const PgConnection &router, const NodeRecord &primary, const std::vector<NodeRecord> &nodes,
                         const std::vector<NodeHealth> &health);
    // guard_primaries stops a replica of the catalog that runs as a primary
    // next to the recorded one (an old primary started by hand), or adopts it
    // when the recorded primary is gone (a failover cut short after promotion).
    void guard_primaries(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                         const std::vector<NodeHealth> &health, const std::set<long long> &paused);
    // degrade_without_replicas sets synchronous_standby_names = '' on a working
    // primary whose every replica is lost, because its commits would otherwise
    // wait forever (event 'degraded'). Until a replica streams again the group is
    // "unsafe": a replica that comes back may miss commits acknowledged
    // meanwhile, so a failover of the group is left to the operator.
    void degrade_without_replicas(const PgConnection &router, const std::vector<NodeRecord> &nodes,
                                  const std::vector<NodeHealth> &health);
    // restore_synchronous turns synchronous replication back on for a degraded
    // group as soon as a standby streams from its primary.
    void restore_synchronous(const PgConnection &router, const std::vector<NodeRecord> &nodes);
    // warn_once logs a warning once per distinct message and topic.
    void warn_once(const std::string &topic, const std::string &message);

    FailoverSettings settings_;
    const LocalCluster &cluster_;
    Logger &logger_;
    FailureCounter failures_;
    FailureCounter replica_failures_;
    std::set<long long> unsafe_groups_;
    RejoinScheduler rejoins_;
    std::set<long long> degraded_groups_;
    bool seeded_degraded_ = false;
    std::map<std::string, std::string> warned_;
};

}  // namespace shale
