// metrics.h — renders shaled's /metrics page in the Prometheus text exposition
// format (version 0.0.4) from what the daemon knows about itself and what the
// router's catalog says about the nodes. Pure formatting, no I/O, so it can be
// tested on its own.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/cluster_reader.h"
#include "daemon/daemon_status.h"

namespace shale {

// MetricsInput is everything one scrape shows. When router_reachable is
// false, the node and event metrics are left out (not reported as 0: a missing
// series is "unknown", a zero would be a lie).
// InsightsTotals sums shale.query_stats by how statements ran (router,
// single-shard, multi-shard: a bounded label set, no per-pattern or per-tenant series).
struct InsightsTotals {
    struct ByRanOn {
        double calls = 0, errors = 0, total_ms = 0, rows = 0;
    };
    bool read = false;
    double patterns = 0, max_patterns = 0, evicted = 0;
    std::map<std::string, ByRanOn> by_ran_on;
};

struct MetricsInput {
    bool active = false;
    pid_t pid = 0;
    double started_at_seconds = 0;
    double active_changed_at_seconds = 0;
    long long health_rounds = 0;
    double last_round_seconds = 0;
    long long prepared_transactions_recovered = 0;
    long long deadlocks_resolved = 0;
    long long insights_snapshots = 0;
    long long insights_snapshot_failures = 0;
    long long insights_history_rows = -1;  // -1: no snapshot yet
    InsightsTotals insights;

    bool router_reachable = false;
    std::vector<NodeView> nodes;
    std::vector<GroupView> groups;
    std::map<std::string, long long> event_counts;  // kind → count
};

// metrics_input_from_status copies the daemon's own counters.
MetricsInput metrics_input_from_status(const DaemonStatus &status);

// render_metrics returns the whole /metrics body.
std::string render_metrics(const MetricsInput &input);

// escape_label_value escapes a Prometheus label value (backslash, quote, newline).
std::string escape_label_value(const std::string &value);

}  // namespace shale
