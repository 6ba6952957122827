// cluster_layout.h — the shape of a local cluster made by `shale up`: which nodes
// exist, their ports, roles, groups and data directories, and the cluster.json file
// that records it under the cluster directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace shale {

// HostSpec is one machine of a cluster spread over hosts: where its `shale
// agent` listens and the fingerprint of the agent's certificate, pinned at
// first contact.
struct HostSpec {
    std::string endpoint;     // "ADDR:PORT" of the agent
    std::string fingerprint;  // SHA-256 of its TLS certificate (hex)

    // address is the ADDR part: nodes of this host listen there.
    std::string address() const { return endpoint.substr(0, endpoint.rfind(':')); }
};

// NodeSpec describes one PostgreSQL server of the cluster.
struct NodeSpec {
    std::string name;      // e.g. "router-primary", "group1-replica1"
    std::string kind;      // "router" or "worker"
    std::string role;      // "primary" or "replica"
    int group = 0;         // 0 for the router, 1..N for worker groups (layout numbering)
    int replica_index = 0; // 0 for primaries, 1..R for replicas
    int port = 0;
    std::string data_dir;  // absolute path (on its host)
    std::string host = "127.0.0.1";  // the address it listens on
    int host_index = -1;   // index in ClusterLayout::hosts; -1: on this machine, run without an agent

    bool is_primary() const { return role == "primary"; }
    // slot_name is the physical replication slot / application_name of a replica,
    // e.g. "group1_replica1" or "router_replica1".
    std::string slot_name() const;
};

// ClusterLayout is everything cluster.json records.
struct ClusterLayout {
    std::string dir;       // absolute cluster directory
    std::string os_user;   // OS user that owns and runs the servers
    bool synchronous = true;
    int workers = 2;
    int replicas = 1;
    // shaled's HTTP API port on 127.0.0.1 (0: none yet; `shale up` picks one)
    int http_port = 0;
    // the certificate authority that signs the nodes' certificates (common/tls_authority.h):
    // DIR/tls unless `shale up --tls-dir` named a shared one; empty in clusters made before TLS
    std::string tls_dir;
    std::vector<NodeSpec> nodes;
    // hosts: empty for a cluster on this machine; else the agents the nodes run under
    std::vector<HostSpec> hosts;

    bool on_hosts() const { return !hosts.empty(); }
    std::string agent_token_file() const { return dir + "/agent.token"; }

    // plan builds the node list: router primary, router replicas, then each worker
    // group's primary and replicas, taking ports in that order from `ports`.
    static ClusterLayout plan(const std::string &dir, const std::string &os_user, int workers,
                              int replicas, bool synchronous, const std::vector<int> &ports);

    // add_worker_group appends worker group `group` (a primary and `replicas`
    // replicas, under DIR/groupN) taking ports in that order, counts it in
    // `workers` and returns the new nodes. Used by `shale add-group`.
    std::vector<NodeSpec> add_worker_group(int group, int replicas, const std::vector<int> &ports);
    // add_replicas appends replicas to worker or router group `group`, numbered
    // after its existing ones, taking one port each; returns the new nodes.
    // Used by `shale restore`.
    std::vector<NodeSpec> add_replicas(int group, const std::vector<int> &ports);
    // remove_group drops every node of a worker group and uncounts it; returns
    // the removed nodes. Used by `shale drain --remove`.
    std::vector<NodeSpec> remove_group(int group);

    const NodeSpec &router_primary() const;
    // primary_of returns the primary of the group a node belongs to.
    const NodeSpec &primary_of(const NodeSpec &node) const;
    // uri is the postgres:// URI clients use: every router node, read-write target,
    // the superuser postgres without its password (safe to show in status and APIs).
    std::string uri() const;
    // uri_with_password is uri() with the superuser's password (DIR/pgpass), as
    // `shale up` and `shale uri` print it for the cluster's operator.
    std::string uri_with_password() const;
    // router_conninfo is uri() with a connect time-out, an application_name and the
    // cluster's password file: it reaches whichever router node accepts writes,
    // also after a router failover.
    std::string router_conninfo(const std::string &application_name) const;
    // http_address is the base URL of shaled's HTTP API, empty without a port.
    std::string http_address() const
    {
        return http_port > 0 ? "http://127.0.0.1:" + std::to_string(http_port) : "";
    }

    std::string layout_file() const { return dir + "/cluster.json"; }
    std::string log_dir() const { return dir + "/logs"; }
    std::string node_log(const NodeSpec &node) const { return log_dir() + "/" + node.name + ".log"; }
    std::string daemon_log() const { return dir + "/shaled.log"; }
    std::string daemon_pid_file() const { return dir + "/shaled.pid"; }
    std::string daemon_config_file() const { return dir + "/shaled.conf"; }

    // save writes cluster.json atomically (temporary file + rename).
    void save() const;
    // load reads DIR/cluster.json; nullopt when it does not exist. Throws on a broken file.
    static std::optional<ClusterLayout> load(const std::string &dir);
};

}  // namespace shale
