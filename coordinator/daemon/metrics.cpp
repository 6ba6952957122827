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
    out.family("shale_failovers_total", "counter", "Promotions of a replica recorded in shale.event");
    out.sample("shale_failovers_total", "", count_of("promoted"));
    out.family("shale_events_total", "counter", "Events recorded in shale.event, by kind");
    for (const auto &[kind, count] : input.event_counts)
        out.sample("shale_events_total", "kind=\"" + escape_label_value(kind) + "\"", static_cast<double>(count));
    return out.text();
}

}  // namespace shale
