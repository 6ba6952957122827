// local_cluster.cpp — cluster.json and server tools for shaled.
#include "daemon/local_cluster.h"

namespace shale {

bool is_local_host(const std::string &host)
{
    return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

LocalCluster LocalCluster::load(const std::string &cluster_dir, Logger &logger)
{
    LocalCluster cluster;
    cluster.dir_ = cluster_dir;
    if (cluster_dir.empty()) {
        logger.warn("no cluster-dir configured: failover cannot stop old primaries or rejoin them");
        return cluster;
    }
    try {
        cluster.layout_ = ClusterLayout::load(cluster_dir);
        if (!cluster.layout_) {
            logger.warn("no cluster.json in " + cluster_dir + ": failover cannot stop or rejoin nodes");
            return cluster;
        }
        cluster.control_ =
            std::make_shared<ServerControl>(cluster.layout_->os_user, cluster.layout_->log_dir() + "/failover.log");
        if (cluster.layout_->on_hosts())
            cluster.agent_token_ = read_agent_token(cluster.layout_->agent_token_file());
    } catch (const std::exception &error) {
        logger.warn(std::string("cannot use the cluster directory: ") + error.what());
        cluster.layout_.reset();
        cluster.control_.reset();
    }
    return cluster;
}

const NodeSpec *LocalCluster::agent_node(const std::string &host, int port) const
{
    if (!layout_ || !layout_->on_hosts())
        return nullptr;
    for (const auto &node : layout_->nodes)
        if (node.host == host && node.port == port)
            return &node;
    return nullptr;
}

AgentClient LocalCluster::agent_of(const NodeSpec &node) const
{
    const HostSpec &host = layout_->hosts.at(static_cast<size_t>(node.host_index));
    return AgentClient(host.endpoint, agent_token_, host.fingerprint);
}

void LocalCluster::start_leases(const std::atomic<bool> &renew, Logger &logger)
{
    if (!layout_ || !layout_->on_hosts())
        return;
    leases_ = std::make_shared<AgentLeases>(*layout_, agent_token_, renew, logger);
    leases_->start();
}

const NodeSpec *LocalCluster::node_at(const std::string &host, int port) const
{
    if (!layout_ || layout_->on_hosts() || !is_local_host(host))
        return nullptr;
    for (const auto &node : layout_->nodes)
        if (node.port == port)
            return &node;
    return nullptr;
}

}  // namespace shale
