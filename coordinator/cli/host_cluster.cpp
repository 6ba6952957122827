// host_cluster.cpp — a cluster over the agents of several hosts.
#include "cli/host_cluster.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/agent_lease.h"
#include "cli/agent_nodes.h"
#include "daemon/agent_leases.h"
#include "cli/cli_error.h"
#include "cli/node_control.h"
#include "cli/node_setup.h"
#include "cli/registration.h"
#include "common/cluster_password.h"
#include "common/placement.h"

namespace shale {

namespace fs = std::filesystem;

namespace {

void progress(const std::string &message)
{
    std::cout << "shale: " << message << std::endl;
}

// write_private_file writes text to path with mode 0600.
void write_private_file(const std::string &path, const std::string &text)
{
    {
        std::ofstream out(path, std::ios::trunc);
        out << text;
        if (!out)
            throw CliError("cannot write " + path);
    }
    chmod(path.c_str(), 0600);
}

// superuser_password reads the cluster's password (DIR/pgpass) or throws.
std::string superuser_password(const ClusterLayout &layout)
{
    auto password = read_cluster_password(layout.dir);
    if (!password)
        throw CliError("the cluster has no password file " + cluster_password_file(layout.dir));
    return *password;
}

// contact_hosts asks every agent for its status, pins its certificate, and
// refuses agents that already hold nodes or are listed twice.
std::vector<HostSpec> contact_hosts(const std::vector<std::string> &endpoints, const std::string &token)
{
    std::vector<HostSpec> hosts;
    std::set<std::string> addresses;
    for (const auto &endpoint : endpoints) {
        HostSpec host{endpoint, ""};
        if (!addresses.insert(host.address()).second)
            throw CliError("host " + host.address() + " is given twice: every --host is another machine", 2);
        AgentClient agent(endpoint, token, "");
        nlohmann::json status;
        try {
            status = agent.call("GET", "/v1/status");
        } catch (const AgentError &error) {
            throw CliError(std::string(error.what()) +
                           (error.status == 401 ? " (is --agent-token-file the file the agent was started with?)"
                                                : " (is `shale agent --listen " + endpoint + "` running there?)"));
        }
        if (!status.value("nodes", nlohmann::json::array()).empty())
            throw CliError("the agent at " + endpoint + " already runs nodes (" +
                           status["host"].value("dir", std::string("?")) +
                           "/nodes): one agent serves one cluster; use another host or remove them");
        host.fingerprint = agent.seen_fingerprint();
        progress("host " + endpoint + ": agent answers, certificate SHA-256 " + host.fingerprint.substr(0, 16) +
                 "… pinned; " + std::to_string(status["host"].value("disk_free_bytes", 0LL) >> 20) + " MB free");
        hosts.push_back(host);
    }
    return hosts;
}

// arm_leases gives every agent its first lease before it runs any node, with
// the other hosts as its peers: from then on a host cut off from shaled and
// from the majority fences its primaries, even if shaled never reached it.
void arm_leases(const ClusterLayout &layout, const std::string &token)
{
    for (size_t index = 0; index < layout.hosts.size(); index++)
        agent_client_for(layout, static_cast<int>(index), token)
            .call("POST", "/v1/lease", lease_request(layout.hosts, index, kLeaseMilliseconds));
}

}  // namespace

std::unique_ptr<NodeOperations> node_operations_for(ClusterLayout &layout, const OsUser &user)
{
    if (!layout.on_hosts())
        return std::make_unique<NodeControl>(layout, user);
    return std::make_unique<AgentNodes>(layout, read_agent_token(layout.agent_token_file()),
                                        superuser_password(layout));
}

ClusterLayout create_cluster_on_hosts(const UpOptions &options, const OsUser &user)
{
    std::string token;
    try {
        token = read_agent_token(options.agent_token_file);
    } catch (const std::exception &error) {
        throw CliError(error.what(), 2);
    }
    std::vector<HostSpec> hosts = contact_hosts(options.hosts, token);
    const int node_count = (options.workers + 1) * (options.replicas + 1);
    // every node of the cluster gets a port of its own, on whichever host it is
    std::vector<int> ports;
    for (int index = 0; index < node_count; index++)
        ports.push_back(options.port + index);
    ClusterLayout layout =
        ClusterLayout::plan(options.dir, user.name, options.workers, options.replicas, !options.async, ports);
    layout.hosts = hosts;
    try {
        place_on_hosts(layout);
    } catch (const std::invalid_argument &error) {
        throw CliError(error.what(), 2);
    }
    progress("creating a cluster over " + std::to_string(hosts.size()) + " hosts: router + " +
             std::to_string(options.workers) + " worker group(s), " + std::to_string(options.replicas) +
             " replica(s) each, " + (options.async ? "ASYNC" : "synchronous") + " replication, ports " +
             std::to_string(ports.front()) + "-" + std::to_string(ports.back()));
    for (const auto &node : layout.nodes)
        progress("  " + node.name + " on " + hosts[static_cast<size_t>(node.host_index)].endpoint);

    fs::create_directories(layout.log_dir());
    // one password for every node on every host: DIR/pgpass here, the agents' DIR/pgpass there
    const std::string password = ensure_cluster_password(layout.dir, user);
    use_password_file(cluster_password_file(layout.dir));
    write_private_file(layout.agent_token_file(), token + "\n");

    AgentNodes agents(layout, token, password);
    try {
        arm_leases(layout, token);
        NewNodes nodes;
        for (const auto &node : layout.nodes)
            (node.is_primary() ? nodes.primaries : nodes.replicas).push_back(node);
        nodes.progress = progress;
        create_and_start_nodes(layout, agents, nodes);
        if (!extension_disabled()) {
            progress("registering nodes");
            register_nodes(layout);
        }
        layout.save();
    } catch (...) {
        agents.stop_running(layout.nodes);
        std::cerr << "shale: cluster creation failed; the servers it started were stopped. Remove " << options.dir
                  << " and the agents' nodes before trying again.\n";
        throw;
    }
    return layout;
}

bool print_hosts(const ClusterLayout &layout)
{
    if (!layout.on_hosts())
        return true;
    std::string token;
    try {
        token = read_agent_token(layout.agent_token_file());
    } catch (const std::exception &error) {
        std::printf("hosts: %s\n", error.what());
        return false;
    }
    bool all_answer = true;
    std::printf("%-22s %-8s %-12s %-14s %s\n", "HOST", "AGENT", "DISK FREE", "MEMORY FREE", "NODES");
    for (size_t index = 0; index < layout.hosts.size(); index++) {
        std::string nodes;
        for (const auto &node : layout.nodes)
            if (node.host_index == static_cast<int>(index))
                nodes += (nodes.empty() ? "" : ", ") + node.name;
        try {
            nlohmann::json status = agent_client_for(layout, static_cast<int>(index), token)
                                        .call("GET", "/v1/status", nullptr, std::chrono::seconds(3));
            const nlohmann::json &host = status["host"];
            std::printf("%-22s %-8s %-12s %-14s %s\n", layout.hosts[index].endpoint.c_str(), "up",
                        (std::to_string(host.value("disk_free_bytes", 0LL) >> 30) + " GB").c_str(),
                        (std::to_string(host.value("memory_available_bytes", 0LL) >> 20) + " MB").c_str(),
                        nodes.c_str());
        } catch (const std::exception &error) {
            all_answer = false;
            std::printf("%-22s %-8s %-12s %-14s %s  (%s)\n", layout.hosts[index].endpoint.c_str(), "DOWN", "-", "-",
                        nodes.c_str(), error.what());
        }
    }
    return all_answer;
}

}  // namespace shale
