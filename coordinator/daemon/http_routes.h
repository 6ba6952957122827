// http_routes.h — the endpoints of shaled's HTTP API: GET /v1/cluster,
// /v1/nodes, /v1/events and /metrics (see docs/http-api.md and
// docs/openapi.yaml). Requests come from the HTTP server's thread, one at a
// time; the catalog is read through a ClusterReader owned by this object.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include "daemon/cluster_reader.h"
#include "daemon/daemon_config.h"
#include "daemon/daemon_status.h"
#include "http/http_server.h"
#include "http/http_target.h"

namespace shale {

class ApiRoutes {
public:
    ApiRoutes(const DaemonConfig &config, const DaemonStatus &status, const std::atomic<bool> *stop)
        : config_(config), status_(status), reader_(config.router_conninfo, stop) {}

    // handle answers one request; never throws for a bad request (4xx), only
    // for bugs, which the server turns into a 500.
    HttpResponse handle(const HttpRequest &request);

private:
    HttpResponse get_cluster();
    HttpResponse get_nodes();
    HttpResponse get_events(const std::map<std::string, std::string> &query);
    HttpResponse get_metrics();
    HttpResponse get_index();
    // router_unavailable is the 503 answer when the catalog cannot be read.
    HttpResponse router_unavailable();

    const DaemonConfig &config_;
    const DaemonStatus &status_;
    ClusterReader reader_;
};

}  // namespace shale
