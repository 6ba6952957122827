// agent_nodes.cpp — node steps carried out by the agents of a cluster's hosts.
#include "cli/agent_nodes.h"

#include <functional>
#include <future>
#include <mutex>

#include "cli/cli_error.h"
#include "cli/node_control.h"

namespace shale {

namespace {
// initdb or pg_basebackup of a large primary takes long; starts and stops wait up to 60 s on the agent
constexpr auto kCreateTimeout = std::chrono::minutes(30);
constexpr auto kStartStopTimeout = std::chrono::seconds(90);
}  // namespace

AgentClient agent_client_for(const ClusterLayout &layout, int index, const std::string &token)
{
    const HostSpec &host = layout.hosts.at(static_cast<size_t>(index));
    return AgentClient(host.endpoint, token, host.fingerprint);
}

void AgentNodes::for_each_node(const std::string &step, const std::vector<NodeSpec> &nodes,
                               const std::function<void(const NodeSpec &, AgentClient &)> &call)
{
    std::vector<std::future<std::string>> results;
    for (const auto &node : nodes)
        results.push_back(std::async(std::launch::async, [this, &node, &call]() -> std::string {
            try {
                AgentClient agent = agent_client_for(layout_, node.host_index, token_);
                call(node, agent);
                return "";
            } catch (const std::exception &error) {
                return error.what();
            }
        }));
    std::string failures;
    for (size_t index = 0; index < nodes.size(); index++) {
        std::string error = results[index].get();
        if (!error.empty())
            failures += "\n  " + step + " failed for " + nodes[index].name + ": " + error;
    }
    if (!failures.empty())
        throw CliError(failures.substr(1));
}

void AgentNodes::create(const NodeSpec &node, AgentClient &agent)
{
    nlohmann::json request = {{"kind", node.kind},     {"role", node.role},
                              {"group", node.group},   {"replica_index", node.replica_index},
                              {"port", node.port},     {"password", password_},
                              {"extension", !extension_disabled()}};
    if (!node.is_primary()) {
        const NodeSpec &primary = layout_.primary_of(node);
        request["primary"] = {{"host", primary.host}, {"port", primary.port}};
    }
    nlohmann::json answer = agent.call("POST", "/v1/nodes/" + node.name, request, kCreateTimeout);
    static std::mutex layout_mutex;  // nodes of several hosts report at once
    std::lock_guard<std::mutex> guard(layout_mutex);
    for (auto &known : layout_.nodes)
        if (known.name == node.name)
            known.data_dir = answer.value("data_dir", "");
}

void AgentNodes::create_primaries(const std::vector<NodeSpec> &primaries)
{
    for_each_node("initdb", primaries, [this](const NodeSpec &node, AgentClient &agent) { create(node, agent); });
}

void AgentNodes::create_replicas(const std::vector<NodeSpec> &replicas)
{
    for_each_node("pg_basebackup", replicas,
                  [this](const NodeSpec &node, AgentClient &agent) { create(node, agent); });
}

void AgentNodes::start(const std::vector<NodeSpec> &nodes)
{
    for_each_node("start", nodes, [](const NodeSpec &node, AgentClient &agent) {
        agent.call("POST", "/v1/nodes/" + node.name + "/start", nlohmann::json::object(), kStartStopTimeout);
    });
}

void AgentNodes::stop(const std::vector<NodeSpec> &nodes)
{
    for_each_node("stop", nodes, [](const NodeSpec &node, AgentClient &agent) {
        agent.call("POST", "/v1/nodes/" + node.name + "/stop", nlohmann::json::object(), kStartStopTimeout);
    });
}

void AgentNodes::stop_running(const std::vector<NodeSpec> &nodes) noexcept
{
    try {
        stop(nodes);  // the agent's stop does nothing for a node that does not run
    } catch (const std::exception &) {
    }
}

bool AgentNodes::is_running(const NodeSpec &node)
{
    AgentClient agent = agent_client_for(layout_, node.host_index, token_);
    nlohmann::json status = agent.call("GET", "/v1/status");
    for (const auto &entry : status.value("nodes", nlohmann::json::array()))
        if (entry.value("name", "") == node.name)
            return entry.value("running", false);
    return false;
}

}  // namespace shale
