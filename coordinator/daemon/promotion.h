// promotion.h — the steps shared by worker-group and router failover once shaled
// decided that a primary is lost: fence the old primary, choose the most
// advanced healthy replica, promote it, and make the group's other replicas
// follow it. The catalog switch is the caller's: a worker group switches through
// the leader connection, the router group on the promoted router itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/health_checker.h"
#include "daemon/local_cluster.h"

namespace shale {

// fence_node makes sure a lost primary cannot take writes again: when its data
// directory is on this machine, a still running postmaster is stopped at once
// and standby.signal is written, so a later start brings it up read-only.
// Returns what was done, for the 'fenced' event.
std::string fence_node(const LocalCluster &cluster, const NodeRecord &node);

// choose_candidate asks every healthy replica how much WAL it holds (received or
// replayed, whichever is further) and returns the most advanced; nullopt with
// *why set when none answers.
std::optional<NodeRecord> choose_candidate(const std::vector<NodeRecord> &healthy_replicas, std::string *why);

struct PromotionResult {
    bool ok = false;
    std::string error;    // why the promotion failed
    std::string details;  // what was done besides pg_promote (standbys, re-pointing)
    bool degraded = false;  // true: the new primary has no synchronous standby yet
};

// promote_candidate promotes the candidate (pg_promote, wait => true), sets its
// synchronous_standby_names to '' (no replica streams from it yet, and writes
// must not hang on one) and re-points the group's other replicas at it
// (`replicas` may include the candidate: it is skipped).
PromotionResult promote_candidate(const NodeRecord &candidate, const std::vector<NodeRecord> &replicas,
                                  bool synchronous);

// describe_node is "node 3 (127.0.0.1:5434)".
std::string describe_node(const NodeRecord &node);

}  // namespace shale
