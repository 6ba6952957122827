// agent_routes.cpp — what `shale agent` does for each request, with NodeControl
// (the code `shale up` uses on one machine) and ServerControl (the code of
// shaled's failover) running the PostgreSQL tools on this host.
#include "cli/agent_routes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/node_control.h"
#include "common/cluster_password.h"
#include "common/replica_rejoin.h"
#include "common/server_control.h"
#include "common/secrets.h"

namespace shale {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// RequestError is a refused request: its status (4xx) and what to do.
struct RequestError : std::runtime_error {
    RequestError(int status, const std::string &message) : std::runtime_error(message), status(status) {}
    int status;
};

HttpResponse json_response(int status, const json &body)
{
    HttpResponse response;
    response.status = status;
    response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return response;
}

// constant_time_equal compares two digests without leaking where they differ.
bool constant_time_equal(const std::string &a, const std::string &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (size_t index = 0; index < a.size(); index++)
        difference |= static_cast<unsigned char>(a[index] ^ b[index]);
    return difference == 0;
}

// port_is_free_on tells whether port can be bound on address (before a node takes it).
bool port_is_free_on(const std::string &address, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, address.c_str(), &where.sin_addr);
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    bool free = bind(fd, reinterpret_cast<sockaddr *>(&where), sizeof(where)) == 0;
    close(fd);
    return free;
}

// meminfo_bytes reads one "Name: N kB" line of /proc/meminfo.
long long meminfo_bytes(const std::string &name)
{
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(name + ":", 0) == 0)
            return std::stoll(line.substr(name.size() + 1)) * 1024;
    return -1;
}

// directory_bytes sums the sizes of the regular files under path.
long long directory_bytes(const std::string &path)
{
    long long total = 0;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error))
        if (it->is_regular_file(error))
            total += static_cast<long long>(it->file_size(error));
    return total;
}

void check_node_name(const std::string &name)
{
    static const std::regex valid("[a-z0-9][a-z0-9_-]{0,62}");
    if (!std::regex_match(name, valid))
        throw RequestError(400, "node names are 1-63 characters of a-z, 0-9, _ and - (got \"" + name + "\")");
}

}  // namespace

AgentRoutes::AgentRoutes(std::string dir, std::string listen_address, std::string token, Logger &logger)
    : dir_(std::move(dir)), listen_address_(std::move(listen_address)), token_digest_(sha256_hex(token)),
      logger_(logger), user_(server_user())
{
    for (const char *sub : {"/nodes", "/logs"}) {
        fs::create_directories(dir_ + sub);
        chown_tree(dir_ + sub, user_);
    }
    make_parents_traversable(dir_ + "/nodes", user_);
    lease_ = std::make_unique<AgentLease>(dir_ + "/lease.json", token, [this]() { return fence_primaries(); },
                                          logger_);
}

HttpResponse AgentRoutes::handle(const HttpRequest &request)
{
    std::string authorization = request.header("authorization");
    const std::string prefix = "Bearer ";
    if (authorization.rfind(prefix, 0) != 0 ||
        !constant_time_equal(sha256_hex(authorization.substr(prefix.size())), token_digest_)) {
        logger_.warn("refused a request without the agent token from " + request.remote_address);
        return json_response(401, {{"error", "missing or wrong agent token (Authorization: Bearer <token of "
                                              "the agent's --token-file>)"}});
    }
    try {
        return route(request);
    } catch (const RequestError &error) {
        return json_response(error.status, {{"error", error.what()}});
    } catch (const std::invalid_argument &error) {
        return json_response(400, {{"error", error.what()}});
    } catch (const json::exception &error) {
        return json_response(400, {{"error", std::string("bad JSON body: ") + error.what()}});
    } catch (const std::exception &error) {
        // a tool failed (initdb, pg_basebackup, pg_ctl): the agent works, the step did not
        logger_.error(request.method + " " + request.target + ": " + error.what());
        return json_response(409, {{"error", error.what()}});
    }
}

HttpResponse AgentRoutes::route(const HttpRequest &request)
{
    const std::string &target = request.target;
    json body = request.body.empty() ? json::object() : json::parse(request.body);
    if (target == "/v1/ping" && request.method == "GET")
        return json_response(200, {{"ok", true}});
    if (target == "/v1/status" && request.method == "GET")
        return json_response(200, status());
    if (target == "/v1/lease" && request.method == "POST") {
        lease_->renew(body);
        return json_response(200, lease_->status());
    }
    const std::string nodes_prefix = "/v1/nodes/";
    if (target.rfind(nodes_prefix, 0) == 0 && request.method == "POST") {
        std::string rest = target.substr(nodes_prefix.size());
        size_t slash = rest.find('/');
        std::string name = rest.substr(0, slash);
        check_node_name(name);
        if (slash == std::string::npos)
            return json_response(201, create_node(name, body));
        return json_response(200, node_action(name, rest.substr(slash + 1), body));
    }
    return json_response(404, {{"error", "no such agent endpoint: " + request.method + " " + target}});
}

NodeSpec AgentRoutes::load_node(const std::string &name) const
{
    std::ifstream in(dir_ + "/nodes/" + name + ".json");
    if (!in)
        throw RequestError(404, "this agent has no node " + name);
    json record = json::parse(in);
    NodeSpec node;
    node.name = name;
    node.kind = record.at("kind").get<std::string>();
    node.role = record.at("role").get<std::string>();
    node.group = record.at("group").get<int>();
    node.replica_index = record.at("replica_index").get<int>();
    node.port = record.at("port").get<int>();
    node.host = listen_address_;
    node.host_index = 0;
    node.data_dir = dir_ + "/nodes/" + name;
    return node;
}

ClusterLayout AgentRoutes::node_layout(const NodeSpec &node) const
{
    ClusterLayout layout;
    layout.dir = dir_;
    layout.os_user = user_.name;
    layout.hosts = {{listen_address_, ""}};  // on hosts: SCRAM, no local backups
    layout.nodes = {node};
    return layout;
}

void AgentRoutes::store_password(const std::string &password)
{
    if (password.size() < 12 || password.find_first_of(":\\\n") != std::string::npos)
        throw RequestError(400, "password: at least 12 characters, without ':', '\\' or newlines");
    try {
        store_cluster_password(dir_, password, user_);
    } catch (const std::invalid_argument &error) {
        throw RequestError(409, std::string("this agent already serves a cluster with another superuser password (") +
                                    error.what() + "); one agent serves one cluster");
    }
}

json AgentRoutes::create_node(const std::string &name, const json &request)
{
    std::lock_guard<std::mutex> guard(changes_);
    if (fs::exists(dir_ + "/nodes/" + name + ".json"))
        throw RequestError(409, "node " + name + " exists on this host already (" + dir_ + "/nodes/" + name + ")");
    NodeSpec node;
    node.name = name;
    node.kind = request.at("kind").get<std::string>();
    node.role = request.at("role").get<std::string>();
    node.group = request.at("group").get<int>();
    node.replica_index = request.at("replica_index").get<int>();
    node.port = request.at("port").get<int>();
    node.host = listen_address_;
    node.host_index = 0;
    node.data_dir = dir_ + "/nodes/" + name;
    if ((node.kind != "router" && node.kind != "worker") || (node.role != "primary" && node.role != "replica"))
        throw RequestError(400, "kind is router or worker, role primary or replica");
    if (node.port < 1024 || node.port > 65535)
        throw RequestError(400, "port must be between 1024 and 65535");
    if (!port_is_free_on(listen_address_, node.port))
        throw RequestError(409, "port " + std::to_string(node.port) + " on " + listen_address_ + " is in use");
    store_password(request.at("password").get<std::string>());
    if (fs::exists(node.data_dir))
        fs::remove_all(node.data_dir);  // left by a creation that failed before its record was written

    ClusterLayout layout = node_layout(node);
    if (!node.is_primary()) {
        NodeSpec primary = node;
        primary.name = name + "-source";
        primary.role = "primary";
        primary.replica_index = 0;
        primary.host = request.at("primary").at("host").get<std::string>();
        primary.port = request.at("primary").at("port").get<int>();
        layout.nodes.push_back(primary);
    }
    NodeControl control(layout, user_);
    // initdb gives the superuser the password of DIR/pgpass (stored above), the
    // nodes' conninfo and the clones' walreceivers read it from there
    if (node.is_primary())
        control.create_primaries({node});
    else
        control.create_replicas({node});
    std::ofstream record(dir_ + "/nodes/" + name + ".json");
    record << json{{"kind", node.kind},
                   {"role", node.role},
                   {"group", node.group},
                   {"replica_index", node.replica_index},
                   {"port", node.port}}
                  .dump()
           << "\n";
    logger_.info("created node " + name + " (" + node.kind + " " + node.role + ", port " + std::to_string(node.port) +
                 ")");
    return {{"name", name}, {"data_dir", node.data_dir}, {"port", node.port}};
}

json AgentRoutes::node_action(const std::string &name, const std::string &action, const json &request)
{
    NodeSpec node = load_node(name);
    ServerControl server(user_.name, dir_ + "/logs/agent-tools.log");
    if (action == "fence") {
        // no lock: a fence must not wait behind a long clone or rewind
        std::string done = ServerControl::postmaster_pid(node.data_dir) ? server.stop_immediate(node.data_dir)
                                                                        : "it was not running";
        mark_as_standby(server, node.data_dir);
        logger_.warn("fenced " + name + ": " + done);
        return {{"name", name}, {"done", done + "; wrote standby.signal"}};
    }
    std::lock_guard<std::mutex> guard(changes_);
    ClusterLayout layout = node_layout(node);
    NodeControl control(layout, user_);
    if (action == "start") {
        if (!control.is_running(node))
            control.start({node});
        return {{"name", name}, {"running", true}};
    }
    if (action == "stop") {
        if (control.is_running(node))
            control.stop({node});
        return {{"name", name}, {"running", false}};
    }
    if (action == "rejoin") {
        RejoinRequest rejoin;
        rejoin.node_id = request.at("node_id").get<long long>();
        rejoin.data_dir = node.data_dir;
        rejoin.server_log = layout.node_log(node);
        rejoin.port = node.port;
        rejoin.primary_host = request.at("primary").at("host").get<std::string>();
        rejoin.primary_port = request.at("primary").at("port").get<int>();
        RejoinResult result = rejoin_as_replica(server, rejoin);
        if (!result.ok)
            throw RequestError(409, result.detail);
        return {{"name", name}, {"detail", result.detail}};
    }
    throw RequestError(404, "no node action \"" + action + "\" (start, stop, fence, rejoin)");
}

std::string AgentRoutes::fence_primaries()
{
    ServerControl server(user_.name, dir_ + "/logs/agent-tools.log");
    std::string done;
    std::error_code error;
    for (const auto &entry : fs::directory_iterator(dir_ + "/nodes", error)) {
        if (entry.path().extension() != ".json")
            continue;
        std::string data_dir = dir_ + "/nodes/" + entry.path().stem().string();
        if (!ServerControl::postmaster_pid(data_dir) || fs::exists(data_dir + "/standby.signal"))
            continue;  // stopped, or a standby: it acknowledges no write
        done += (done.empty() ? "" : "; ") + entry.path().stem().string() + ": " + server.stop_immediate(data_dir);
        mark_as_standby(server, data_dir);
    }
    return done.empty() ? "no primary was running" : done;
}

json AgentRoutes::status() const
{
    struct statvfs disk{};
    json host = {{"address", listen_address_}, {"dir", dir_}};
    if (statvfs(dir_.c_str(), &disk) == 0) {
        host["disk_total_bytes"] = static_cast<long long>(disk.f_blocks) * static_cast<long long>(disk.f_frsize);
        host["disk_free_bytes"] = static_cast<long long>(disk.f_bavail) * static_cast<long long>(disk.f_frsize);
    }
    host["memory_total_bytes"] = meminfo_bytes("MemTotal");
    host["memory_available_bytes"] = meminfo_bytes("MemAvailable");
    host["lease"] = lease_->status();
    json nodes = json::array();
    std::error_code error;
    for (const auto &entry : fs::directory_iterator(dir_ + "/nodes", error)) {
        if (entry.path().extension() != ".json")
            continue;
        NodeSpec node = load_node(entry.path().stem().string());
        auto pid = ServerControl::postmaster_pid(node.data_dir);
        nodes.push_back({{"name", node.name},
                         {"kind", node.kind},
                         {"created_as", node.role},
                         {"group", node.group},
                         {"port", node.port},
                         {"data_dir", node.data_dir},
                         {"running", pid.has_value()},
                         {"pid", pid ? *pid : 0},
                         {"standby", fs::exists(node.data_dir + "/standby.signal")},
                         {"size_bytes", directory_bytes(node.data_dir)}});
    }
    return {{"host", host}, {"nodes", nodes}};
}

}  // namespace shale
