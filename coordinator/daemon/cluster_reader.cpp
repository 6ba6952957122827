// cluster_reader.cpp — the catalog queries behind the HTTP API.
#include "daemon/cluster_reader.h"
#include "daemon/metrics.h"

#include <algorithm>
#include <chrono>

#include "daemon/leader_lock.h"

namespace shale {

namespace {

constexpr auto kConnectTimeout = std::chrono::milliseconds(2000);
constexpr auto kQueryTimeout = std::chrono::milliseconds(3000);

// Column readers: NULL becomes an empty optional.
std::optional<std::string> text_or_null(const PgResult &result, int row, int column)
{
    if (result.is_null(row, column))
        return std::nullopt;
    return result.value(row, column);
}

std::optional<long long> integer_or_null(const PgResult &result, int row, int column)
{
    if (result.is_null(row, column))
        return std::nullopt;
    return std::stoll(result.value(row, column));
}

std::optional<double> number_or_null(const PgResult &result, int row, int column)
{
    if (result.is_null(row, column))
        return std::nullopt;
    return std::stod(result.value(row, column));
}

std::optional<bool> boolean_or_null(const PgResult &result, int row, int column)
{
    if (result.is_null(row, column))
        return std::nullopt;
    return result.value(row, column) == "t";
}

}  // namespace

std::optional<bool> NodeView::is_up() const
{
    if (reachable)
        return reachable;
    if (state == "up")
        return true;
    if (state == "down")
        return false;
    return std::nullopt;
}

PgResult ClusterReader::query(const std::string &sql)
{
    if (!connection_.ok()) {
        connection_ = PgConnection::connect_with_deadline(router_conninfo_, kConnectTimeout, stop_);
        if (!connection_.ok()) {
            last_error_ = "cannot connect to the router: " + connection_.error_message();
            connection_ = PgConnection();
            return PgResult();
        }
        // timestamps come out as ISO 8601 through to_json(); the name shows the
        // connection's purpose in pg_stat_activity
        connection_.exec("SET application_name = 'shaled_http'");
    }
    PgResult result = connection_.exec_with_deadline(sql, kQueryTimeout, stop_);
    if (!result.ok()) {
        last_error_ = result.get() != nullptr ? "router query failed: " + result.error_message()
                                              : "router query timed out or the connection was lost";
        // a time-out leaves the connection busy; a failed query may mean a
        // restarted router: either way start afresh next time
        connection_ = PgConnection();
    }
    return result;
}

bool ClusterReader::read_nodes(std::vector<NodeView> &nodes)
{
    // to_json(timestamptz) #>> '{}' gives ISO 8601 with the UTC offset,
    // whatever the session's DateStyle
    PgResult result = query(
        "SELECT n.node_id, n.host, n.port, n.group_id, n.role, n.state, "
        "       to_json(n.state_changed_at) #>> '{}', to_json(h.checked_at) #>> '{}', "
        "       extract(epoch FROM clock_timestamp() - h.checked_at), "
        "       h.reachable, h.in_recovery, h.timeline, h.wal_lsn::text, h.lag_bytes, "
        "       h.check_latency_ms, h.error "
        "FROM shale.node n LEFT JOIN shale.node_health h USING (node_id) "
        "ORDER BY n.group_id, n.role, n.node_id");
    if (!result.ok())
        return false;
    nodes.clear();
    for (int row = 0; row < result.rows(); row++) {
        NodeView node;
        node.node_id = std::stoll(result.value(row, 0));
        node.host = result.value(row, 1);
        node.port = std::stoi(result.value(row, 2));
        node.group_id = std::stoll(result.value(row, 3));
        node.role = result.value(row, 4);
        node.state = result.value(row, 5);
        node.state_changed_at = text_or_null(result, row, 6);
        node.checked_at = text_or_null(result, row, 7);
        node.check_age_seconds = number_or_null(result, row, 8);
        node.reachable = boolean_or_null(result, row, 9);
        node.in_recovery = boolean_or_null(result, row, 10);
        node.timeline = integer_or_null(result, row, 11);
        node.wal_lsn = text_or_null(result, row, 12);
        node.lag_bytes = integer_or_null(result, row, 13);
        node.check_latency_ms = number_or_null(result, row, 14);
        node.error = text_or_null(result, row, 15);
        nodes.push_back(std::move(node));
    }
    return true;
}

bool ClusterReader::read_groups(std::vector<GroupView> &groups)
{
    PgResult result = query("SELECT group_id, state FROM shale.node_group ORDER BY group_id");
    if (!result.ok())
        return false;
    groups.clear();
    for (int row = 0; row < result.rows(); row++)
        groups.push_back({std::stoll(result.value(row, 0)), result.value(row, 1)});
    return true;
}

bool ClusterReader::read_events(std::optional<long long> since, int limit, std::vector<EventView> &events)
{
    // The numbers are validated integers, so they are put in the text directly.
    const std::string columns =
        "SELECT event_id, to_json(happened_at) #>> '{}', kind, node_id, group_id, detail FROM shale.event ";
    const std::string sql =
        since ? columns + "WHERE event_id > " + std::to_string(*since) + " ORDER BY event_id LIMIT " +
                    std::to_string(limit)
              : columns + "ORDER BY event_id DESC LIMIT " + std::to_string(limit);
    PgResult result = query(sql);
    if (!result.ok())
        return false;
    events.clear();
    for (int row = 0; row < result.rows(); row++) {
        EventView event;
        event.event_id = std::stoll(result.value(row, 0));
        event.happened_at = result.value(row, 1);
        event.kind = result.value(row, 2);
        event.node_id = integer_or_null(result, row, 3);
        event.group_id = integer_or_null(result, row, 4);
        event.detail = text_or_null(result, row, 5);
        events.push_back(std::move(event));
    }
    // newest last, whichever way they were selected
    std::sort(events.begin(), events.end(),
              [](const EventView &a, const EventView &b) { return a.event_id < b.event_id; });
    return true;
}

bool ClusterReader::read_event_counts(std::map<std::string, long long> &counts)
{
    PgResult result = query("SELECT kind, count(*) FROM shale.event GROUP BY kind ORDER BY kind");
    if (!result.ok())
        return false;
    counts.clear();
    for (int row = 0; row < result.rows(); row++)
        counts[result.value(row, 0)] = std::stoll(result.value(row, 1));
    return true;
}

bool ClusterReader::read_insights_totals(InsightsTotals &totals)
{
    PgResult result = query(
        "SELECT i.patterns, i.max_patterns, i.evicted, s.ran_on, s.calls, s.errors, s.total_ms, s.rows "
        "FROM shale.query_stats_info() i LEFT JOIN (SELECT ran_on, sum(calls) AS calls, sum(errors) AS errors, "
        "sum(total_ms) AS total_ms, sum(rows) AS rows FROM shale.query_stats GROUP BY ran_on) s ON true");
    if (!result.ok())
        return false;
    totals = InsightsTotals{};
    totals.read = true;
    for (int row = 0; row < result.rows(); row++) {
        totals.patterns = std::stod(result.value(row, 0));
        totals.max_patterns = std::stod(result.value(row, 1));
        totals.evicted = std::stod(result.value(row, 2));
        if (result.is_null(row, 3))
            continue;
        InsightsTotals::ByRanOn &sums = totals.by_ran_on[result.value(row, 3)];
        sums.calls = std::stod(result.value(row, 4));
        sums.errors = std::stod(result.value(row, 5));
        sums.total_ms = std::stod(result.value(row, 6));
        sums.rows = std::stod(result.value(row, 7));
    }
    return true;
}

bool ClusterReader::read_router_facts(RouterFacts &facts)
{
    // A bigint advisory lock shows in pg_locks as classid = high 32 bits,
    // objid = low 32 bits, objsubid = 1. The active shaled names its leader
    // connection "shaled pid N" (leader_lock.cpp), which gives its pid.
    const unsigned long long key = static_cast<unsigned long long>(kLeaderLockKey);
    const std::string sql =
        "SELECT current_setting('server_version'), "
        "       (SELECT extversion FROM pg_extension WHERE extname = 'shale'), "
        "       current_setting('synchronous_standby_names'), "
        "       (SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = " +
        std::to_string(key >> 32) + " AND l.objid = " + std::to_string(key & 0xffffffffULL) +
        " AND l.objsubid = 1 LIMIT 1)";
    PgResult result = query(sql);
    if (!result.ok() || result.rows() != 1)
        return false;
    facts.server_version = result.value(0, 0);
    facts.extension_version = text_or_null(result, 0, 1);
    facts.synchronous_standby_names = result.value(0, 2);
    facts.active_daemon_seen = !result.is_null(0, 3);
    facts.active_daemon_pid.reset();
    if (facts.active_daemon_seen) {
        const std::string name = result.value(0, 3);
        const std::string prefix = "shaled pid ";
        if (name.rfind(prefix, 0) == 0) {
            try {
                facts.active_daemon_pid = std::stoll(name.substr(prefix.size()));
            } catch (const std::exception &) {
                // an older shaled without its pid in the name: pid unknown
            }
        }
    }
    return true;
}

}  // namespace shale
