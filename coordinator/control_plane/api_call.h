// api_call.h — what a /v1 handler of `shale serve` gets: the request, the
// path parameters, the authenticated caller, the parsed JSON body, the state
// store, and helpers to read fields, answer JSON and write the audit log.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "control_plane/api_error.h"
#include "control_plane/state_store.h"
#include "http/http_server.h"

namespace shale {

class OperationRunner;
class RateLimiter;
struct ServeConfig;

// Caller is whoever the bearer token or the session cookie belongs to.
struct Caller {
    std::string token_id;       // the API token used (also behind a session signed in with a token)
    std::string user_id;        // the portal user of a session signed in with a password
    std::string session_id;     // "" for a bearer token
    std::string csrf_token;     // the session's CSRF token ("" for a bearer token)
    std::string organization_id;
    std::string scope;          // "admin", "write" or "read"
    bool operator_org = false;  // the installation's own organization (can create organizations)
};

struct ApiCall {
    const HttpRequest &request;
    std::map<std::string, std::string> params;  // from the path, e.g. {"id": "db_..."}
    std::map<std::string, std::string> query;   // decoded query parameters
    Caller caller;
    nlohmann::json body = nlohmann::json::object();  // the parsed body of a POST or PATCH
    StateStore &store;
    const ServeConfig &config;
    OperationRunner &runner;
    RateLimiter *auth_failures = nullptr;  // failed sign-ins per client address

    // audit records a change in the audit log: who (token), what (action,
    // target), when (now), from where (the client's address).
    void audit(const std::string &action, const std::string &target_type, const std::string &target_id,
               const nlohmann::json &details = nlohmann::json::object());

    // string_field returns body[name] as a string; throws 422 when it is
    // missing (and required) or not a string.
    std::optional<std::string> string_field(const std::string &name, bool required = false) const;
    // integer_field returns body[name] as an integer in [low, high]; 422 otherwise.
    std::optional<int> integer_field(const std::string &name, int low, int high) const;
    // reject_unknown_fields throws 422 naming the first body field not in allowed.
    void reject_unknown_fields(std::initializer_list<const char *> allowed) const;
    // integer_query reads a query parameter in [low, high], or fallback when absent.
    int integer_query(const std::string &name, int fallback, int low, int high) const;
};

// whole_number reads a JSON number that is a whole number (3 or 3.0: JSON has
// one number type, and JSON Schema's "integer" takes both) of at most 15 digits.
std::optional<long long> whole_number(const nlohmann::json &value);

// json_response answers a JSON document with the given status.
HttpResponse json_response(int status, const nlohmann::json &document);

}  // namespace shale
