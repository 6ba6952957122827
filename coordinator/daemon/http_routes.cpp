// http_routes.cpp — routing and the JSON documents of shaled's HTTP API.
#include "daemon/http_routes.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>
#include <nlohmann/json.hpp>

#include "common/cluster_layout.h"
#include "daemon/http_backup_routes.h"
#include "daemon/metrics.h"

namespace shale {

using nlohmann::json;

namespace {

constexpr int kDefaultEventLimit = 100;
constexpr int kMaxEventLimit = 1000;

// dump_json serialises a document; invalid UTF-8 (from a garbage request
// target echoed in an error, say) is replaced instead of throwing.
std::string dump_json(const json &document)
{
    return document.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

HttpResponse json_response(int status, const json &document)
{
    HttpResponse response;
    response.status = status;
    response.body = dump_json(document);
    return response;
}

HttpResponse error_response(int status, const std::string &message)
{
    return json_response(status, json{{"error", message}});
}

// optional_json turns an empty optional into JSON null.
template <typename T>
json optional_json(const std::optional<T> &value)
{
    return value ? json(*value) : json(nullptr);
}

// iso_time formats seconds since the epoch as ISO 8601 UTC with milliseconds.
std::string iso_time(double seconds)
{
    std::time_t whole = static_cast<std::time_t>(seconds);
    int millis = static_cast<int>((seconds - static_cast<double>(whole)) * 1000);
    std::tm utc;
    gmtime_r(&whole, &utc);
    char buffer[40];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
    char result[64];
    std::snprintf(result, sizeof(result), "%s.%03dZ", buffer, millis);
    return result;
}

// parse_integer_parameter reads a non-negative integer query parameter.
std::optional<long long> parse_integer_parameter(const std::string &text)
{
    if (text.empty() || text.size() > 18)
        return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9')
            return std::nullopt;
    return std::stoll(text);
}

// router_uri_from_conninfo builds a postgres:// URI (without any password)
// from the daemon's router connection string, for clusters without cluster.json.
std::string router_uri_from_conninfo(const std::string &conninfo)
{
    char *error = nullptr;
    PQconninfoOption *options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        PQfreemem(error);
        return "";
    }
    std::map<std::string, std::string> values;
    for (PQconninfoOption *option = options; option->keyword != nullptr; option++)
        if (option->val != nullptr)
            values[option->keyword] = option->val;
    PQconninfoFree(options);
    // host and port may be lists ("h1,h2" and "p1,p2", or one port for all):
    // the URI form pairs them as h1:p1,h2:p2
    auto split = [](const std::string &list) {
        std::vector<std::string> items;
        size_t start = 0;
        while (true) {
            size_t comma = list.find(',', start);
            items.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos)
                return items;
            start = comma + 1;
        }
    };
    std::vector<std::string> hosts = split(values.count("host") ? values["host"] : "localhost");
    std::vector<std::string> ports = values.count("port") ? split(values["port"]) : std::vector<std::string>{};
    std::string uri = "postgres://";
    if (values.count("user"))
        uri += values["user"] + "@";
    for (size_t index = 0; index < hosts.size(); index++) {
        uri += (index > 0 ? "," : "") + hosts[index];
        if (!ports.empty())
            uri += ":" + ports[ports.size() == 1 ? 0 : std::min(index, ports.size() - 1)];
    }
    uri += "/" + (values.count("dbname") ? values["dbname"] : std::string("postgres"));
    if (values.count("target_session_attrs"))
        uri += "?target_session_attrs=" + values["target_session_attrs"];
    return uri;
}

// node_json is one node in /v1/nodes.
json node_json(const NodeView &node)
{
    return json{{"node_id", node.node_id},
                {"host", node.host},
                {"port", node.port},
                {"group_id", node.group_id},
                {"role", node.role},
                {"state", node.state},
                {"state_changed_at", optional_json(node.state_changed_at)},
                {"reachable", optional_json(node.is_up())},
                {"in_recovery", optional_json(node.in_recovery)},
                {"timeline", optional_json(node.timeline)},
                {"wal_lsn", optional_json(node.wal_lsn)},
                {"lag_bytes", optional_json(node.lag_bytes)},
                {"check_latency_ms", optional_json(node.check_latency_ms)},
                {"checked_at", optional_json(node.checked_at)},
                {"error", optional_json(node.error)}};
}

// node_summary is a node inside a group of /v1/cluster.
json node_summary(const NodeView &node)
{
    return json{{"node_id", node.node_id},
                {"host", node.host},
                {"port", node.port},
                {"reachable", optional_json(node.is_up())},
                {"in_recovery", optional_json(node.in_recovery)},
                {"lag_bytes", optional_json(node.lag_bytes)}};
}

// group_health sums up a group: "down" when its primary is unreachable,
// "degraded" when a replica is, "healthy" when every node answered, else
// "unknown" (no check yet).
std::string group_health(const std::vector<const NodeView *> &members)
{
    bool any_unknown = false, replica_down = false, has_primary = false;
    for (const NodeView *node : members) {
        auto up = node->is_up();
        if (node->role == "primary") {
            has_primary = true;
            if (up && !*up)
                return "down";
        }
        if (!up)
            any_unknown = true;
        else if (!*up)
            replica_down = true;
    }
    if (!has_primary)
        return "down";
    if (replica_down)
        return "degraded";
    return any_unknown ? "unknown" : "healthy";
}

}  // namespace

// host_is_loopback tells whether a Host header names this machine's loopback
// address (with or without a port), or is absent (HTTP/1.0).
static bool host_is_loopback(const std::string &host)
{
    std::string name = host;
    if (!name.empty() && name.front() == '[') {
        size_t close = name.find(']');
        if (close != std::string::npos)
            name.resize(close + 1);
    } else if (size_t colon = name.find(':'); colon != std::string::npos) {
        name.resize(colon);
    }
    return name.empty() || name == "127.0.0.1" || name == "localhost" || name == "[::1]";
}

HttpResponse ApiRoutes::handle(const HttpRequest &request)
{
    // Listening on 127.0.0.1 keeps other machines out, but not web pages open in
    // a browser on this one: a page can make the browser send a POST here (no
    // CORS preflight for a bodiless POST) or, by DNS rebinding, read answers
    // under its own host name. So: a Host other than the loopback names is
    // refused, and so is any request but GET that carries an Origin header.
    if (!host_is_loopback(request.host))
        return error_response(403, "Host must be 127.0.0.1 or localhost");
    if (!request.origin.empty() && request.method != "GET")
        return error_response(403, "requests from web pages (with an Origin header) may only GET");
    ParsedTarget target = parse_target(request.target);
    // a trailing slash names the same resource
    if (target.path.size() > 1 && target.path.back() == '/')
        target.path.pop_back();
    // GET/POST /v1/backups, POST /v1/restores, GET /v1/backup-operations/ID
    if (auto backup_response = handle_backup_route(request.method, target.path, target.query, config_.cluster_dir))
        return *backup_response;
    static const char *const kPaths[] = {"/", "/v1/cluster", "/v1/nodes", "/v1/events", "/metrics"};
    bool known = false;
    for (const char *path : kPaths)
        known = known || target.path == path;
    if (!known)
        return json_response(404, json{{"error", "not found"}, {"path", target.path}});
    if (request.method != "GET") {
        HttpResponse response = error_response(405, "method " + request.method + " not allowed; use GET");
        response.allow = "GET";
        return response;
    }
    if (target.path == "/v1/cluster")
        return get_cluster();
    if (target.path == "/v1/nodes")
        return get_nodes();
    if (target.path == "/v1/events")
        return get_events(target.query);
    if (target.path == "/metrics")
        return get_metrics();
    return get_index();
}

HttpResponse ApiRoutes::router_unavailable()
{
    return json_response(503, json{{"error", reader_.last_error()}, {"router_reachable", false}});
}

HttpResponse ApiRoutes::get_index()
{
    return json_response(200, json{{"service", "shaled"},
                                   {"version", kShaleVersion},
                                   {"endpoints", {"/v1/cluster", "/v1/nodes", "/v1/events", "/metrics"}}});
}

HttpResponse ApiRoutes::get_cluster()
{
    json daemon{{"pid", status_.pid},
                {"active", status_.active.load()},
                {"http_port", status_.http_port},
                {"started_at", iso_time(status_.started_at_seconds)},
                {"version", kShaleVersion}};
    json document{{"version", kShaleVersion}, {"daemon", daemon}};

    // cluster.json (when shaled knows the directory) names the cluster and its
    // client URI; otherwise the URI comes from the router connection string.
    std::optional<ClusterLayout> layout;
    if (!config_.cluster_dir.empty()) {
        try {
            layout = ClusterLayout::load(config_.cluster_dir);
        } catch (const std::exception &) {
            layout.reset();
        }
    }
    if (layout) {
        size_t slash = layout->dir.find_last_of('/');
        document["name"] = slash == std::string::npos ? layout->dir : layout->dir.substr(slash + 1);
        document["dir"] = layout->dir;
        document["router_uri"] = layout->uri();
    } else {
        document["name"] = nullptr;
        document["dir"] = config_.cluster_dir.empty() ? json(nullptr) : json(config_.cluster_dir);
        document["router_uri"] = router_uri_from_conninfo(config_.router_conninfo);
    }

    RouterFacts facts;
    std::vector<NodeView> nodes;
    std::vector<GroupView> groups;
    if (!reader_.read_router_facts(facts) || !reader_.read_nodes(nodes) || !reader_.read_groups(groups)) {
        document["router_reachable"] = false;
        document["error"] = reader_.last_error();
        return json_response(503, document);
    }
    document["router_reachable"] = true;
    document["postgres_version"] = facts.server_version;
    document["extension_version"] = optional_json(facts.extension_version);
    document["daemon"]["active_pid"] = optional_json(facts.active_daemon_pid);
    document["daemon"]["active_daemon_connected"] = facts.active_daemon_seen;

    // Replication mode: what `shale up` chose when the layout is known, else
    // what the router primary is configured with right now.
    std::string mode;
    if (layout)
        mode = layout->replicas == 0 ? "none" : (layout->synchronous ? "sync" : "async");
    else
        mode = facts.synchronous_standby_names.empty() ? "async" : "sync";
    document["replication"] = {{"mode", mode}, {"synchronous_standby_names", facts.synchronous_standby_names}};

    json group_list = json::array();
    for (const auto &group : groups) {
        std::vector<const NodeView *> members;
        json primary = nullptr;
        json replicas = json::array();
        for (const auto &node : nodes) {
            if (node.group_id != group.group_id)
                continue;
            members.push_back(&node);
            if (node.role == "primary")
                primary = node_summary(node);
            else
                replicas.push_back(node_summary(node));
        }
        group_list.push_back({{"group_id", group.group_id},
                              {"kind", group.group_id == 0 ? "router" : "worker"},
                              {"state", group.state},
                              {"health", members.empty() ? "unknown" : group_health(members)},
                              {"primary", primary},
                              {"replicas", replicas}});
    }
    document["groups"] = group_list;
    return json_response(200, document);
}

HttpResponse ApiRoutes::get_nodes()
{
    std::vector<NodeView> nodes;
    if (!reader_.read_nodes(nodes))
        return router_unavailable();
    json list = json::array();
    for (const auto &node : nodes)
        list.push_back(node_json(node));
    return json_response(200, json{{"nodes", list}});
}

HttpResponse ApiRoutes::get_events(const std::map<std::string, std::string> &query)
{
    std::optional<long long> since;
    int limit = kDefaultEventLimit;
    for (const auto &[key, value] : query) {
        if (key == "since") {
            since = parse_integer_parameter(value);
            if (!since)
                return error_response(400, "since must be a non-negative integer (an event_id)");
        } else if (key == "limit") {
            auto parsed = parse_integer_parameter(value);
            if (!parsed || *parsed < 1 || *parsed > kMaxEventLimit)
                return error_response(400, "limit must be an integer from 1 to " + std::to_string(kMaxEventLimit));
            limit = static_cast<int>(*parsed);
        } else {
            return error_response(400, "unknown query parameter \"" + key + "\" (use since and limit)");
        }
    }
    std::vector<EventView> events;
    if (!reader_.read_events(since, limit, events))
        return router_unavailable();
    json list = json::array();
    for (const auto &event : events)
        list.push_back({{"event_id", event.event_id},
                        {"happened_at", event.happened_at},
                        {"kind", event.kind},
                        {"node_id", optional_json(event.node_id)},
                        {"group_id", optional_json(event.group_id)},
                        {"detail", optional_json(event.detail)}});
    // last_event_id lets a poller pass it back as since= next time
    json last = events.empty() ? (since ? json(*since) : json(nullptr)) : json(events.back().event_id);
    return json_response(200, json{{"events", list}, {"last_event_id", last}});
}

HttpResponse ApiRoutes::get_metrics()
{
    MetricsInput input = metrics_input_from_status(status_);
    input.router_reachable =
        reader_.read_nodes(input.nodes) && reader_.read_groups(input.groups) && reader_.read_event_counts(input.event_counts);
    if (input.router_reachable)
        reader_.read_insights_totals(input.insights);  // left out when the router has no insights
    HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = render_metrics(input);
    return response;
}

}  // namespace shale
