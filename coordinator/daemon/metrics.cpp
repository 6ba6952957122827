// metrics.cpp — the Prometheus text format of shaled's metrics. Every family
// gets its # HELP and # TYPE lines once, followed by its samples; node
// families carry the labels node_id, group_id and role (the catalog role, so a
// failover shows as the primary series moving to another node_id).
#include "daemon/metrics.h"

#include <cstdio>
#include <sstream>

namespace shale {

namespace {

// format_number prints a sample value: integers without a fraction, others
// with enough digits for epoch timestamps with milliseconds.
std::string format_number(double value)
{
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.15g", value);
    return buffer;
}

// MetricsWriter appends families to the page; family() writes the header of a
// family, sample() one line of it.
class MetricsWriter {
public:
    void family(const std::string &name, const std::string &type, const std::string &help)
    {
        out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
    void sample(const std::string &name, const std::string &labels, double value)
    {
        out_ << name;
        if (!labels.empty())
            out_ << "{" << labels << "}";
        out_ << " " << format_number(value) << "\n";
    }
    std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
};

std::string node_labels(const NodeView &node)
{
    return "node_id=\"" + std::to_string(node.node_id) + "\",group_id=\"" + std::to_string(node.group_id) +
           "\",role=\"" + escape_label_value(node.role) + "\"";
}

// render_insights writes the query-insights families: pattern counts and the
// router's statements summed by how they ran.
void render_insights(MetricsWriter &out, const InsightsTotals &insights)
{
    out.family("shale_query_patterns", "gauge", "Query patterns the router keeps in shale.query_stats");
    out.sample("shale_query_patterns", "", insights.patterns);
    out.family("shale_query_patterns_max", "gauge", "The most patterns the router keeps (shale.query_stats_max)");
    out.sample("shale_query_patterns_max", "", insights.max_patterns);
    out.family("shale_query_patterns_evicted_total", "counter", "Patterns forgotten to make room for new ones");
    out.sample("shale_query_patterns_evicted_total", "", insights.evicted);
    // sums over the patterns kept: like any counter they drop on a reset, a
    // router restart or failover, and when a pattern is forgotten
    out.family("shale_query_calls_total", "counter", "Statements the router ran, by how they ran");
    for (const auto &[ran_on, sums] : insights.by_ran_on)
        out.sample("shale_query_calls_total", "ran_on=\"" + escape_label_value(ran_on) + "\"", sums.calls);
    out.family("shale_query_errors_total", "counter", "Statements that failed, by how they ran");
    for (const auto &[ran_on, sums] : insights.by_ran_on)
        out.sample("shale_query_errors_total", "ran_on=\"" + escape_label_value(ran_on) + "\"", sums.errors);
    out.family("shale_query_time_seconds_total", "counter", "Router time spent in statements, by how they ran");
    for (const auto &[ran_on, sums] : insights.by_ran_on)
        out.sample("shale_query_time_seconds_total", "ran_on=\"" + escape_label_value(ran_on) + "\"",
                   sums.total_ms / 1000.0);
    out.family("shale_query_rows_total", "counter", "Rows returned or written, by how statements ran");
    for (const auto &[ran_on, sums] : insights.by_ran_on)
        out.sample("shale_query_rows_total", "ran_on=\"" + escape_label_value(ran_on) + "\"", sums.rows);
}

}  // namespace

std::string escape_label_value(const std::string &value)
{
    std::string escaped;
    for (char c : value) {
        if (c == '\\')
            escaped += "\\\\";
        else if (c == '"')
            escaped += "\\\"";
        else if (c == '\n')
            escaped += "\\n";
        else
            escaped += c;
    }
    return escaped;
}

MetricsInput metrics_input_from_status(const DaemonStatus &status)
{
    MetricsInput input;
    input.active = status.active.load();
    input.pid = status.pid;
    input.started_at_seconds = status.started_at_seconds;
    input.active_changed_at_seconds = status.active_changed_at_seconds.load();
    input.health_rounds = status.health_rounds.load();
    input.last_round_seconds = status.last_round_seconds.load();
    input.prepared_transactions_recovered = status.prepared_transactions_recovered.load();
    input.deadlocks_resolved = status.deadlocks_resolved.load();
    input.insights_snapshots = status.insights_snapshots.load();
    input.insights_snapshot_failures = status.insights_snapshot_failures.load();
    input.insights_history_rows = status.insights_history_rows.load();
    return input;
}

std::string render_metrics(const MetricsInput &input)
{
    MetricsWriter out;
    out.family("shale_daemon_active", "gauge",
               "1 when this shaled holds the leader lock and acts, 0 when it waits as a standby");
    out.sample("shale_daemon_active", "", input.active ? 1 : 0);
    out.family("shale_daemon_info", "gauge", "Constant 1, labelled with this shaled's version and pid");
    out.sample("shale_daemon_info",
               "version=\"" + std::string(kShaleVersion) + "\",pid=\"" + std::to_string(input.pid) + "\"", 1);
    out.family("shale_daemon_start_time_seconds", "gauge", "When this shaled started, seconds since the epoch");
    out.sample("shale_daemon_start_time_seconds", "", input.started_at_seconds);
    out.family("shale_daemon_leadership_changed_time_seconds", "gauge",
               "When this shaled last became active or standby, seconds since the epoch (0: never active)");
    out.sample("shale_daemon_leadership_changed_time_seconds", "", input.active_changed_at_seconds);
    out.family("shale_daemon_health_rounds_total", "counter",
               "Health-check rounds this shaled completed while active");
    out.sample("shale_daemon_health_rounds_total", "", static_cast<double>(input.health_rounds));
    out.family("shale_daemon_health_round_duration_seconds", "gauge",
               "Duration of this shaled's last health-check round");
    out.sample("shale_daemon_health_round_duration_seconds", "", input.last_round_seconds);
    out.family("shale_prepared_transactions_recovered_total", "counter",
               "Prepared transactions that this shaled's 2PC recovery committed or rolled back");
    out.sample("shale_prepared_transactions_recovered_total", "",
               static_cast<double>(input.prepared_transactions_recovered));
    out.family("shale_deadlocks_resolved_total", "counter",
               "Distributed deadlocks this shaled broke by cancelling a transaction");
    out.sample("shale_deadlocks_resolved_total", "", static_cast<double>(input.deadlocks_resolved));
    out.family("shale_insights_snapshots_total", "counter",
               "Snapshots of shale.query_stats this shaled stored in the history (shale_insights)");
    out.sample("shale_insights_snapshots_total", "", static_cast<double>(input.insights_snapshots));
    out.family("shale_insights_snapshot_failures_total", "counter", "Snapshots of shale.query_stats that failed");
    out.sample("shale_insights_snapshot_failures_total", "", static_cast<double>(input.insights_snapshot_failures));
    if (input.insights_history_rows >= 0) {
        out.family("shale_insights_history_rows", "gauge",
                   "Rows of the insights history after the last snapshot (bounded at 100000)");
        out.sample("shale_insights_history_rows", "", static_cast<double>(input.insights_history_rows));
    }
    out.family("shale_router_reachable", "gauge",
               "1 when this shaled's HTTP thread could read the catalog on the router for this scrape");
    out.sample("shale_router_reachable", "", input.router_reachable ? 1 : 0);
    if (!input.router_reachable)
        return out.text();

    out.family("shale_node_up", "gauge", "1 when the node answered its last health check, 0 when not");
    for (const auto &node : input.nodes)
        if (auto up = node.is_up())
            out.sample("shale_node_up", node_labels(node), *up ? 1 : 0);
    out.family("shale_node_is_primary", "gauge", "1 when the catalog names the node its group's primary");
    for (const auto &node : input.nodes)
        out.sample("shale_node_is_primary", node_labels(node), node.role == "primary" ? 1 : 0);
    out.family("shale_node_in_recovery", "gauge", "1 when the node reported pg_is_in_recovery() at its last check");
    for (const auto &node : input.nodes)
        if (node.in_recovery)
            out.sample("shale_node_in_recovery", node_labels(node), *node.in_recovery ? 1 : 0);
    out.family("shale_node_timeline", "gauge", "Timeline of the node at its last check");
    for (const auto &node : input.nodes)
        if (node.timeline)
            out.sample("shale_node_timeline", node_labels(node), static_cast<double>(*node.timeline));
    out.family("shale_replication_lag_bytes", "gauge", "Bytes of WAL a replica's replay is behind its primary");
    for (const auto &node : input.nodes)
        if (node.lag_bytes)
            out.sample("shale_replication_lag_bytes", node_labels(node), static_cast<double>(*node.lag_bytes));
    out.family("shale_health_check_latency_seconds", "gauge", "Round trip of the node's last health check");
    for (const auto &node : input.nodes)
        if (node.check_latency_ms)
            out.sample("shale_health_check_latency_seconds", node_labels(node), *node.check_latency_ms / 1000.0);
    out.family("shale_health_check_age_seconds", "gauge",
               "Seconds since the node's last health check (grows when no shaled is active)");
    for (const auto &node : input.nodes)
        if (node.check_age_seconds)
            out.sample("shale_health_check_age_seconds", node_labels(node), *node.check_age_seconds);

    out.family("shale_group_available", "gauge",
               "1 when the worker group accepts writes (state active), 0 when fenced or draining");
    for (const auto &group : input.groups)
        out.sample("shale_group_available", "group_id=\"" + std::to_string(group.group_id) + "\"",
                   group.state == "active" ? 1 : 0);

    auto count_of = [&](const std::string &kind) {
        auto found = input.event_counts.find(kind);
        return found == input.event_counts.end() ? 0.0 : static_cast<double>(found->second);
    };
    if (input.insights.read)
        render_insights(out, input.insights);

    out.family("shale_failovers_total", "counter", "Promotions of a replica recorded in shale.event");
    out.sample("shale_failovers_total", "", count_of("promoted"));
    out.family("shale_events_total", "counter", "Events recorded in shale.event, by kind");
    for (const auto &[kind, count] : input.event_counts)
        out.sample("shale_events_total", "kind=\"" + escape_label_value(kind) + "\"", static_cast<double>(count));
    return out.text();
}

}  // namespace shale
