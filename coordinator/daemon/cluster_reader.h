// cluster_reader.h — reads what the HTTP API and /metrics show from the router
// primary's catalog (shale.node, shale.node_health, shale.node_group,
// shale.event) over a libpq connection of its own. It is used only by the HTTP
// thread; the daemon's main loop keeps its leader connection to itself, so an
// HTTP request never waits for a health round and the reverse.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/pg_connection.h"

namespace shale {

// NodeView is one node as the API shows it: its catalog row joined with the
// last health check (all health fields empty before the first check).
struct NodeView {
    long long node_id = 0;
    std::string host;
    int port = 0;
    long long group_id = 0;
    std::string role;   // catalog role: primary or replica
    std::string state;  // catalog state: unknown, up or down
    std::optional<std::string> state_changed_at;
    std::optional<std::string> checked_at;  // ISO 8601
    std::optional<double> check_age_seconds;  // now() - checked_at, on the router's clock
    std::optional<bool> reachable;
    std::optional<bool> in_recovery;
    std::optional<long long> timeline;
    std::optional<std::string> wal_lsn;
    std::optional<long long> lag_bytes;
    std::optional<double> check_latency_ms;
    std::optional<std::string> error;

    // is_up is the best knowledge of reachability: the last health check,
    // else the catalog state; nullopt when neither knows.
    std::optional<bool> is_up() const;
};

struct GroupView {
    long long group_id = 0;
    std::string state;  // active, fenced or draining
};

struct EventView {
    long long event_id = 0;
    std::string happened_at;  // ISO 8601
    std::string kind;
    std::optional<long long> node_id;
    std::optional<long long> group_id;
    std::optional<std::string> detail;
};

// RouterFacts are a few settings of the router primary and who holds the lock.
struct RouterFacts {
    std::string server_version;
    std::optional<std::string> extension_version;
    std::string synchronous_standby_names;
    // pid of the shaled that holds the leader lock, from the application_name
    // of its connection ("shaled pid N"); nullopt when no daemon holds it
    std::optional<long long> active_daemon_pid;
    bool active_daemon_seen = false;  // some session holds the lock
};

struct InsightsTotals;  // metrics.h

class ClusterReader {
public:
    ClusterReader(std::string router_conninfo, const std::atomic<bool> *stop)
        : router_conninfo_(std::move(router_conninfo)), stop_(stop) {}

    // Each read returns false (and sets last_error()) when the router cannot be
    // reached or a query fails; the connection is then dropped and made again
    // by the next read.
    bool read_nodes(std::vector<NodeView> &nodes);
    bool read_groups(std::vector<GroupView> &groups);
    // read_events returns events after `since` (oldest first) when since is
    // given, else the newest `limit` events; either way ordered by event_id.
    bool read_events(std::optional<long long> since, int limit, std::vector<EventView> &events);
    // read_event_counts returns the number of events of each kind.
    bool read_event_counts(std::map<std::string, long long> &counts);
    bool read_router_facts(RouterFacts &facts);
    // read_insights_totals sums shale.query_stats by ran_on (false when the
    // router has no query insights, as well as on errors).
    bool read_insights_totals(InsightsTotals &totals);

    const std::string &last_error() const { return last_error_; }

private:
    // query runs sql on the (re)connected router with a time-out; on failure it
    // records the error, drops the connection and returns a result that is not ok.
    PgResult query(const std::string &sql);

    std::string router_conninfo_;
    const std::atomic<bool> *stop_;
    PgConnection connection_;
    std::string last_error_;
};

}  // namespace shale
