// agent_routes.h — the HTTPS API of `shale agent` (docs/multi-host.md):
//   GET  /v1/ping                        authenticated liveness (peers, leases)
//   GET  /v1/status                      host (disk, memory, lease) and its nodes
//   POST /v1/nodes/NAME                  create: initdb (primary) or pg_basebackup (replica)
//   POST /v1/nodes/NAME/start|stop       pg_ctl start / fast stop
//   POST /v1/nodes/NAME/fence            immediate stop and standby.signal
//   POST /v1/nodes/NAME/rejoin           pg_rewind against a new primary, start as its standby
//   POST /v1/lease                       renewal of shaled's lease (agent_lease.h)
// Every request needs "Authorization: Bearer <agent token>"; others get 401.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/agent_lease.h"
#include "common/cluster_layout.h"
#include "common/os_user.h"
#include "http/http_server.h"

namespace shale {

class AgentRoutes {
public:
    AgentRoutes(std::string dir, std::string listen_address, std::string token, Logger &logger);

    HttpResponse handle(const HttpRequest &request);
    // fence_primaries stops every running primary of this host (the lease's action).
    std::string fence_primaries();
    AgentLease &lease() { return *lease_; }

private:
    HttpResponse route(const HttpRequest &request);
    nlohmann::json status() const;
    nlohmann::json create_node(const std::string &name, const nlohmann::json &request);
    nlohmann::json node_action(const std::string &name, const std::string &action, const nlohmann::json &request);
    // load_node reads the record of a node this agent created; throws (404) when unknown.
    NodeSpec load_node(const std::string &name) const;
    // node_layout is a one-host layout holding node (and its primary, for a replica), for NodeControl.
    ClusterLayout node_layout(const NodeSpec &node) const;
    // store_password writes DIR/pgpass (cluster_password.h), or checks that it holds this password.
    void store_password(const std::string &password);

    std::string dir_;
    std::string listen_address_;
    std::string token_digest_;
    Logger &logger_;
    OsUser user_;
    std::mutex changes_;  // one create/start/stop/rejoin at a time
    std::unique_ptr<AgentLease> lease_;
};

}  // namespace shale
