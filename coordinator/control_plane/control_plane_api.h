// control_plane_api.h — the /v1 API of `shale serve`: routing, bearer-token
// authentication and scopes, rate limits, Idempotency-Key replay, and one
// state transaction per change (the change and its audit record commit together).
// Callers are API tokens or portal sessions (session_auth.h).
// handle() is called from several HTTP threads at once: each request leases a
// state connection of its own from a small pool.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control_plane/api_call.h"
#include "control_plane/rate_limiter.h"
#include "control_plane/serve_config.h"

namespace shale {

class ControlPlaneApi {
public:
    ControlPlaneApi(const ServeConfig &config, const std::string &state_conninfo, OperationRunner &runner);

    // handle answers one request (called on the HTTP server's thread).
    HttpResponse handle(const HttpRequest &request);

private:
    using Handler = std::function<HttpResponse(ApiCall &)>;
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{name}" matches one path segment
        std::string scope;                  // least scope needed: read, write or admin
        Handler handler;
    };
    void add(const std::string &method, const std::string &pattern, const std::string &scope, Handler handler);
    HttpResponse dispatch(const HttpRequest &request);
    // authenticate reads the bearer token; throws 401 for a missing, unknown,
    // expired or revoked one (and 429 after too many failures from one address).
    Caller authenticate(const HttpRequest &request, StateStore &store);
    // authenticate_session reads the session cookie (no Authorization header);
    // a change also needs the session's CSRF token in X-CSRF-Token (403 otherwise).
    Caller authenticate_session(const HttpRequest &request, StateStore &store);
    // run_change runs a changing request in a state transaction, with
    // Idempotency-Key replay for POSTs.
    HttpResponse run_change(ApiCall &call, const Route &route);
    // lease_store takes an idle state connection (or makes one); give_back returns it.
    std::unique_ptr<StateStore> lease_store();
    void give_back(std::unique_ptr<StateStore> store);

    const ServeConfig &config_;
    std::string state_conninfo_;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<StateStore>> idle_stores_;
    OperationRunner &runner_;
    RateLimiter token_limiter_;
    RateLimiter failure_limiter_;  // failed authentications per client address
    std::vector<Route> routes_;
};

}  // namespace shale
