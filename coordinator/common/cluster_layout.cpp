// cluster_layout.cpp — planning the node list of a local cluster and reading and
// writing cluster.json.
#include "common/cluster_layout.h"
#include "common/cluster_password.h"
#include "common/pg_connection.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>

namespace shale {

using nlohmann::json;

std::string NodeSpec::slot_name() const
{
    std::string prefix = kind == "router" ? "router" : "group" + std::to_string(group);
    return prefix + "_replica" + std::to_string(replica_index);
}

static NodeSpec make_node(const std::string &dir, const std::string &kind, int group, int replica_index, int port)
{
    NodeSpec node;
    node.kind = kind;
    node.group = group;
    node.replica_index = replica_index;
    node.role = replica_index == 0 ? "primary" : "replica";
    node.port = port;
    std::string prefix = kind == "router" ? "router" : "group" + std::to_string(group);
    std::string leaf = replica_index == 0 ? "primary" : "replica" + std::to_string(replica_index);
    node.name = prefix + "-" + leaf;
    node.data_dir = dir + "/" + prefix + "/" + leaf;
    return node;
}

ClusterLayout ClusterLayout::plan(const std::string &dir, const std::string &os_user, int workers,
                                  int replicas, bool synchronous, const std::vector<int> &ports)
{
    ClusterLayout layout;
    layout.dir = dir;
    layout.os_user = os_user;
    layout.workers = workers;
    layout.replicas = replicas;
    layout.synchronous = synchronous;
    size_t next_port = 0;
    auto take_port = [&]() {
        if (next_port >= ports.size())
            throw std::logic_error("not enough ports planned");
        return ports[next_port++];
    };
    for (int group = 0; group <= workers; group++) {
        const std::string kind = group == 0 ? "router" : "worker";
        for (int replica = 0; replica <= replicas; replica++)
            layout.nodes.push_back(make_node(dir, kind, group, replica, take_port()));
    }
    return layout;
}

std::vector<NodeSpec> ClusterLayout::add_worker_group(int group, int replicas, const std::vector<int> &ports)
{
    if (ports.size() != static_cast<size_t>(replicas) + 1)
        throw std::logic_error("add_worker_group needs one port per node");
    for (const auto &node : nodes)
        if (node.group == group)
            throw std::logic_error("group " + std::to_string(group) + " is already in the layout");
    std::vector<NodeSpec> added;
    for (int replica = 0; replica <= replicas; replica++)
        added.push_back(make_node(dir, "worker", group, replica, ports[replica]));
    nodes.insert(nodes.end(), added.begin(), added.end());
    workers++;
    return added;
}

std::vector<NodeSpec> ClusterLayout::add_replicas(int group, const std::vector<int> &ports)
{
    int highest_index = 0;
    std::string kind = group == 0 ? "router" : "worker";
    for (const auto &node : nodes)
        if (node.group == group)
            highest_index = std::max(highest_index, node.replica_index);
    std::vector<NodeSpec> added;
    for (int port : ports)
        added.push_back(make_node(dir, kind, group, ++highest_index, port));
    nodes.insert(nodes.end(), added.begin(), added.end());
    return added;
}

std::vector<NodeSpec> ClusterLayout::remove_group(int group)
{
    std::vector<NodeSpec> removed, kept;
    for (const auto &node : nodes)
        (node.group == group && node.kind == "worker" ? removed : kept).push_back(node);
    if (!removed.empty())
        workers--;
    nodes = kept;
    return removed;
}

const NodeSpec &ClusterLayout::router_primary() const
{
    return nodes.at(0);
}

const NodeSpec &ClusterLayout::primary_of(const NodeSpec &node) const
{
    for (const auto &candidate : nodes)
        if (candidate.group == node.group && candidate.is_primary())
            return candidate;
    throw std::logic_error("group " + std::to_string(node.group) + " has no primary");
}

// router_hosts is "127.0.0.1:PORT,..." for every router node (the URI's host list).
static std::string router_hosts(const std::vector<NodeSpec> &nodes)
{
    std::string hosts;
    for (const auto &node : nodes) {
        if (node.kind != "router")
            continue;
        if (!hosts.empty())
            hosts += ",";
        hosts += node.host + ":" + std::to_string(node.port);
    }
    return hosts;
}

// uri_escape percent-encodes every byte but RFC 3986's unreserved ones and '/'.
static std::string uri_escape(const std::string &text)
{
    static const char digits[] = "0123456789ABCDEF";
    std::string escaped;
    for (unsigned char c : text) {
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            escaped += static_cast<char>(c);
        } else {
            escaped += '%';
            escaped += digits[c >> 4];
            escaped += digits[c & 15];
        }
    }
    return escaped;
}

std::string ClusterLayout::uri() const
{
    return "postgres://postgres@" + router_hosts(nodes) + "/postgres?target_session_attrs=read-write";
}

std::string ClusterLayout::uri_with_password() const
{
    auto password = read_cluster_password(dir);
    if (!password)
        return uri();
    return "postgres://postgres:" + uri_escape(*password) + "@" + router_hosts(nodes) +
           "/postgres?target_session_attrs=read-write";
}

// The options are kShaleSessionOptions' (no query insights for Shale's own sessions).
std::string ClusterLayout::router_conninfo(const std::string &application_name) const
{
    return uri() + "&connect_timeout=5&application_name=" + application_name + "&" + kNetworkTimeoutUriOptions +
           "&options=" + uri_escape("-c shale.query_stats=off") + "&passfile=" + uri_escape(cluster_password_file(dir));
}

void ClusterLayout::save() const
{
    json document;
    document["format_version"] = 1;
    document["dir"] = dir;
    document["os_user"] = os_user;
    document["synchronous"] = synchronous;
    document["workers"] = workers;
    document["replicas"] = replicas;
    document["http_port"] = http_port;
    document["tls_dir"] = tls_dir;
    document["nodes"] = json::array();
    for (const auto &node : nodes) {
        document["nodes"].push_back({{"name", node.name},
                                     {"kind", node.kind},
                                     {"role", node.role},
                                     {"group", node.group},
                                     {"replica_index", node.replica_index},
                                     {"port", node.port},
                                     {"data_dir", node.data_dir},
                                     {"host", node.host},
                                     {"host_index", node.host_index}});
    }
    document["hosts"] = json::array();
    for (const auto &host : hosts)
        document["hosts"].push_back({{"endpoint", host.endpoint}, {"fingerprint", host.fingerprint}});
    const std::string temporary = layout_file() + ".tmp";
    {
        std::ofstream out(temporary);
        out << document.dump(2) << "\n";
        if (!out)
            throw std::runtime_error("could not write " + temporary);
    }
    if (std::rename(temporary.c_str(), layout_file().c_str()) != 0)
        throw std::runtime_error("could not rename " + temporary + " to " + layout_file());
}

std::optional<ClusterLayout> ClusterLayout::load(const std::string &dir)
{
    std::ifstream in(dir + "/cluster.json");
    if (!in)
        return std::nullopt;
    json document;
    try {
        in >> document;
        ClusterLayout layout;
        layout.dir = document.at("dir").get<std::string>();
        layout.os_user = document.at("os_user").get<std::string>();
        layout.synchronous = document.at("synchronous").get<bool>();
        layout.workers = document.at("workers").get<int>();
        layout.replicas = document.at("replicas").get<int>();
        // absent in clusters made before shaled had an HTTP API
        layout.http_port = document.value("http_port", 0);
        // absent in clusters made before the nodes had TLS
        layout.tls_dir = document.value("tls_dir", "");
        for (const auto &entry : document.at("nodes")) {
            NodeSpec node;
            node.name = entry.at("name").get<std::string>();
            node.kind = entry.at("kind").get<std::string>();
            node.role = entry.at("role").get<std::string>();
            node.group = entry.at("group").get<int>();
            node.replica_index = entry.at("replica_index").get<int>();
            node.port = entry.at("port").get<int>();
            node.data_dir = entry.at("data_dir").get<std::string>();
            // absent in clusters made before hosts
            node.host = entry.value("host", std::string("127.0.0.1"));
            node.host_index = entry.value("host_index", -1);
            layout.nodes.push_back(node);
        }
        for (const auto &entry : document.value("hosts", json::array()))
            layout.hosts.push_back({entry.at("endpoint").get<std::string>(), entry.value("fingerprint", "")});
        if (layout.nodes.empty())
            throw std::runtime_error("no nodes");
        return layout;
    } catch (const std::exception &error) {
        throw std::runtime_error("cannot read " + dir + "/cluster.json: " + error.what());
    }
}

}  // namespace shale
