// health_checker.h — checks whether nodes answer over libpq and what they are:
// in recovery (replica) or not (primary), timeline, WAL position, check latency.
// Checks of many nodes run in parallel, each bounded by a time-out and
// interruptible by the stop flag. A failed check says how it failed, because
// failover counts only failures that a slow but working server does not cause.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace shale {

// NodeRecord is one row of shale.nodes.
struct NodeRecord {
    long long node_id = 0;
    std::string host;
    int port = 0;
    long long group_id = 0;
    std::string role;  // role recorded in the catalog: "primary" or "replica"
};

// CheckFailure classifies a failed check:
// - refused: nothing listens on the port (the postmaster is gone);
// - timeout: no answer within the time-out (a stopped or cut-off machine);
// - rejected: the server answered with an error (starting up, shutting down,
//   too many connections, in crash recovery): alive, so never a reason to fail over.
enum class CheckFailure { none, refused, timeout, rejected };

struct NodeHealth {
    bool reachable = false;
    bool in_recovery = false;
    CheckFailure failure = CheckFailure::none;
    long long timeline = 0;          // 0 when unknown
    std::string wal_lsn;             // primary: current WAL LSN; replica: last replayed
    std::string receive_lsn;         // replica: last WAL received and flushed
    double latency_ms = 0;           // connect + query round trip
    std::string error;               // why it is unreachable
};

class HealthChecker {
public:
    explicit HealthChecker(std::chrono::milliseconds timeout) : timeout_(timeout) {}

    // check_node connects to one node and reads its recovery state, timeline
    // and WAL positions in one query.
    NodeHealth check_node(const NodeRecord &node, const std::atomic<bool> &stop) const;
    // check_nodes checks every node in parallel; results are in the same order.
    std::vector<NodeHealth> check_nodes(const std::vector<NodeRecord> &nodes, const std::atomic<bool> &stop) const;

private:
    std::chrono::milliseconds timeout_;
};

// failure_name is "refused", "timeout", "rejected" or "none".
const char *failure_name(CheckFailure failure);

}  // namespace shale
