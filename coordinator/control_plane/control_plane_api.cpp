// control_plane_api.cpp — request pipeline: rate limit, authenticate, route,
// check the scope, parse the body, run (in a transaction for changes), and map
// every failure to a JSON error. Bad input is a 4xx; only bugs are a 500.
#include "control_plane/control_plane_api.h"

#include <sstream>

#include "control_plane/api_handlers.h"
#include "control_plane/operation_runner.h"
#include "common/secrets.h"
#include "control_plane/portal_files.h"
#include "control_plane/session_auth.h"
#include "http/http_target.h"

namespace shale {

namespace {

constexpr size_t kMaxIdempotencyKey = 255;

std::vector<std::string> split_path(const std::string &path)
{
    std::vector<std::string> segments;
    std::stringstream stream(path);
    std::string segment;
    while (std::getline(stream, segment, '/'))
        if (!segment.empty())
            segments.push_back(segment);
    return segments;
}

int scope_rank(const std::string &scope)
{
    return scope == "admin" ? 3 : scope == "write" ? 2 : scope == "read" ? 1 : 0;
}

// role_for_scope names the member role that acts with a token scope (control.member_scope in reverse).
std::string role_for_scope(const std::string &scope)
{
    return scope == "admin" ? "admin" : scope == "write" ? "developer" : "read-only";
}

HttpResponse error_answer(const ApiError &error)
{
    HttpResponse response;
    response.status = error.status;
    response.body = api_error_body(error.status, error.code, error.what(), error.field);
    response.headers = error.headers;
    return response;
}

}  // namespace

ControlPlaneApi::ControlPlaneApi(const ServeConfig &config, const std::string &state_conninfo,
                                 OperationRunner &runner)
    : config_(config), state_conninfo_(state_conninfo), runner_(runner),
      token_limiter_(config.rate_per_second, config.rate_burst), failure_limiter_(1, config.auth_failure_burst)
{
    add("GET", "/v1/openapi.json", "", get_openapi);
    add("GET", "/v1/setup", "", get_setup);
    add("POST", "/v1/setup", "", post_setup);
    add("POST", "/v1/sessions", "", post_session);
    add("GET", "/v1/session", "read", get_session);
    add("DELETE", "/v1/session", "read", delete_session);
    add("GET", "/v1/members", "read", list_members);
    add("POST", "/v1/members", "admin", post_member);
    add("PATCH", "/v1/members/{id}", "admin", patch_member);
    add("DELETE", "/v1/members/{id}", "admin", delete_member);
    add("GET", "/v1/organization", "read", get_organization);
    add("PATCH", "/v1/organization", "admin", patch_organization);
    add("POST", "/v1/organizations", "admin", post_organization);
    add("GET", "/v1/audit-log", "admin", get_audit_log);
    add("GET", "/v1/tokens", "admin", list_tokens);
    add("POST", "/v1/tokens", "admin", post_token);
    add("DELETE", "/v1/tokens/{id}", "admin", delete_token);
    add("GET", "/v1/plans", "read", list_plans);
    add("GET", "/v1/templates", "read", list_templates_route);
    add("GET", "/v1/ca-certificate", "read", get_ca_certificate);
    add("GET", "/v1/templates/{name}", "read", get_template);
    add("GET", "/v1/operations", "read", list_operations);
    add("GET", "/v1/operations/{id}", "read", get_operation);
    add("GET", "/v1/databases", "read", list_databases);
    add("POST", "/v1/databases", "write", post_database);
    add("GET", "/v1/databases/{id}", "read", get_database);
    add("PATCH", "/v1/databases/{id}", "write", patch_database);
    add("DELETE", "/v1/databases/{id}", "write", delete_database);
    add("POST", "/v1/databases/{id}/undelete", "write", undelete_database);
    add("GET", "/v1/databases/{id}/roles", "read", list_roles);
    add("POST", "/v1/databases/{id}/roles", "write", post_role);
    add("POST", "/v1/databases/{id}/roles/{name}/reset-password", "write", reset_role_password);
    add("DELETE", "/v1/databases/{id}/roles/{name}", "write", delete_role);
    add("GET", "/v1/databases/{id}/nodes", "read", get_database_nodes);
    add("GET", "/v1/databases/{id}/shards", "read", get_database_shards);
    add("GET", "/v1/databases/{id}/tables", "read", list_tables);
    add("POST", "/v1/databases/{id}/tables/{name}/distribute", "write", distribute_table);
    add("POST", "/v1/databases/{id}/tables/{name}/make-reference", "write", make_reference_table);
    add("GET", "/v1/databases/{id}/metrics", "read", get_database_metrics);
    add("GET", "/v1/databases/{id}/insights", "read", get_database_insights);
    add("POST", "/v1/databases/{id}/insights/apply", "write", apply_database_advice);
    add("POST", "/v1/databases/{id}/insights/dismiss", "write", dismiss_database_advice);
    add("GET", "/v1/databases/{id}/events", "read", get_database_events);
    add("GET", "/v1/databases/{id}/backups", "read", get_database_backups);
    add("POST", "/v1/databases/{id}/backups", "write", post_database_backup);
    add("POST", "/v1/databases/{id}/restore-points", "write", post_restore_point);
    add("POST", "/v1/databases/{id}/restore", "write", post_restore);
    add("GET", "/v1/databases/{id}/branches", "read", list_branches);
    add("POST", "/v1/databases/{id}/branches", "write", post_branch);
    add("GET", "/v1/databases/{id}/branches/{branch}", "read", get_branch);
    add("DELETE", "/v1/databases/{id}/branches/{branch}", "write", delete_branch);
    add("POST", "/v1/databases/{id}/branches/{branch}/reset", "write", reset_branch);
    add("GET", "/v1/databases/{id}/deploy-requests", "read", list_deploy_requests);
    add("POST", "/v1/databases/{id}/deploy-requests", "write", post_deploy_request);
    add("GET", "/v1/databases/{id}/deploy-requests/{request}", "read", get_deploy_request);
    add("POST", "/v1/databases/{id}/deploy-requests/{request}/deploy", "write", deploy_deploy_request);
    add("POST", "/v1/databases/{id}/deploy-requests/{request}/revert", "write", revert_deploy_request);
    add("POST", "/v1/databases/{id}/deploy-requests/{request}/close", "write", close_deploy_request);
}

void ControlPlaneApi::add(const std::string &method, const std::string &pattern, const std::string &scope,
                          Handler handler)
{
    routes_.push_back({method, split_path(pattern), scope, std::move(handler)});
}

std::unique_ptr<StateStore> ControlPlaneApi::lease_store()
{
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (idle_stores_.empty())
        return std::make_unique<StateStore>(state_conninfo_);
    auto store = std::move(idle_stores_.back());
    idle_stores_.pop_back();
    return store;
}

void ControlPlaneApi::give_back(std::unique_ptr<StateStore> store)
{
    std::lock_guard<std::mutex> lock(pool_mutex_);
    idle_stores_.push_back(std::move(store));
}

HttpResponse ControlPlaneApi::handle(const HttpRequest &request)
{
    try {
        std::string path = parse_target(request.target).path;
        if (path != "/v1" && path.rfind("/v1/", 0) != 0)
            return serve_portal_file(config_.portal_dir, request, path);
        return dispatch(request);
    } catch (const ApiError &error) {
        return error_answer(error);
    } catch (const StateUnavailable &error) {
        ApiError unavailable(503, "state_unavailable", error.what());
        unavailable.headers.push_back({"Retry-After", "5"});
        return error_answer(unavailable);
    }
}

Caller ControlPlaneApi::authenticate(const HttpRequest &request, StateStore &store)
{
    std::string header = request.header("authorization");
    const std::string bearer = "Bearer ";
    auto refuse = [&](const std::string &message) { refuse_authentication(failure_limiter_, request, "unauthorized", message); };
    if (header.empty() && !cookie_value(request, kSessionCookie).empty())
        return authenticate_session(request, store);
    if (header.empty())
        refuse("an API token is required: send the header \"Authorization: Bearer <token>\", or sign in");
    if (header.compare(0, bearer.size(), bearer) != 0)
        refuse("the Authorization header must be \"Bearer <token>\"");
    std::string token = header.substr(bearer.size());
    if (token.size() > 200)
        refuse("the API token is not valid");
    auto row = store.json_row(
        "SELECT jsonb_build_object('id', t.id, 'organization_id', t.organization_id, 'scope', t.scope, "
        "'operator', o.operator, 'revoked', t.revoked_at IS NOT NULL, "
        "'expired', t.expires_at IS NOT NULL AND t.expires_at <= now()) "
        "FROM control.tokens t JOIN control.organizations o ON o.id = t.organization_id WHERE t.token_hash = $1",
        {sha256_hex(token)});
    if (!row)
        refuse("the API token is not valid");
    if ((*row)["revoked"].get<bool>())
        refuse("the API token has been revoked");
    if ((*row)["expired"].get<bool>())
        refuse("the API token has expired");
    Caller caller;
    caller.token_id = (*row)["id"].get<std::string>();
    caller.organization_id = (*row)["organization_id"].get<std::string>();
    caller.scope = (*row)["scope"].get<std::string>();
    caller.operator_org = (*row)["operator"].get<bool>();
    store.exec("UPDATE control.tokens SET last_used_at = now() WHERE id = $1 AND "
                "(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                {caller.token_id});
    return caller;
}

Caller ControlPlaneApi::authenticate_session(const HttpRequest &request, StateStore &store)
{
    std::string secret = cookie_value(request, kSessionCookie);
    const std::string ended = "your session has ended (signed out, expired, or the member was removed); sign in again";
    if (secret.size() > 100)
        refuse_authentication(failure_limiter_, request, "unauthorized", ended);
    // a member's scope follows their role at every request, so a role change applies at once
    auto row = store.json_row(
        "SELECT jsonb_build_object('id', s.id, 'organization_id', s.organization_id, 'user_id', s.user_id, "
        "'token_id', s.token_id, 'operator', o.operator, "
        "'scope', CASE WHEN s.user_id IS NOT NULL THEN control.member_scope(m.role) ELSE t.scope END, "
        "'valid', s.expires_at > now() AND (s.user_id IS NULL OR m.organization_id = s.organization_id) AND "
        "(s.token_id IS NULL OR (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())))) "
        "FROM control.sessions s JOIN control.organizations o ON o.id = s.organization_id "
        "LEFT JOIN control.members m ON m.user_id = s.user_id LEFT JOIN control.tokens t ON t.id = s.token_id "
        "WHERE s.session_hash = $1",
        {sha256_hex(secret)});
    if (!row || !(*row)["valid"].get<bool>())
        refuse_authentication(failure_limiter_, request, "unauthorized", ended);
    // a change made with the cookie must carry the CSRF token, which a cross-site page cannot read
    if (request.method != "GET" && request.method != "HEAD" && request.header(kCsrfHeader) != csrf_token_for(secret))
        throw ApiError(403, "csrf_failed",
                       "this change needs the X-CSRF-Token header from the sign-in answer (GET /v1/session "
                       "gives it again); reload the page and retry");
    Caller caller;
    caller.session_id = (*row)["id"].get<std::string>();
    caller.organization_id = (*row)["organization_id"].get<std::string>();
    caller.user_id = (*row)["user_id"].is_string() ? (*row)["user_id"].get<std::string>() : "";
    caller.token_id = (*row)["token_id"].is_string() ? (*row)["token_id"].get<std::string>() : "";
    caller.scope = (*row)["scope"].get<std::string>();
    caller.operator_org = (*row)["operator"].get<bool>();
    caller.csrf_token = csrf_token_for(secret);
    return caller;
}

HttpResponse ControlPlaneApi::dispatch(const HttpRequest &request)
{
    ParsedTarget target = parse_target(request.target);
    std::vector<std::string> segments = split_path(target.path);
    const Route *matched = nullptr;
    std::map<std::string, std::string> params;
    std::string allowed;
    for (const auto &route : routes_) {
        if (route.segments.size() != segments.size())
            continue;
        std::map<std::string, std::string> found;
        bool same = true;
        for (size_t index = 0; index < segments.size() && same; index++) {
            const std::string &pattern = route.segments[index];
            if (pattern.size() > 2 && pattern.front() == '{')
                found[pattern.substr(1, pattern.size() - 2)] = segments[index];
            else
                same = pattern == segments[index];
        }
        if (!same)
            continue;
        allowed += (allowed.empty() ? "" : ", ") + route.method;
        if (route.method == request.method) {
            matched = &route;
            params = found;
        }
    }
    if (allowed.empty())
        throw ApiError(404, "not_found", "no such endpoint: " + target.path);
    if (!matched) {
        ApiError wrong(405, "method_not_allowed", request.method + " is not allowed on " + target.path);
        wrong.headers.push_back({"Allow", allowed});
        throw wrong;
    }

    // the lease goes back to the pool whatever happens (a broken connection reconnects on next use)
    std::unique_ptr<StateStore> leased = lease_store();
    struct GiveBack {
        ControlPlaneApi &api;
        std::unique_ptr<StateStore> &store;
        ~GiveBack() { api.give_back(std::move(store)); }
    } give_back_on_exit{*this, leased};
    StateStore &store = *leased;
    ApiCall call{request, params, target.query, Caller{}, nlohmann::json::object(), store, config_, runner_};
    call.auth_failures = &failure_limiter_;
    if (!matched->scope.empty()) {
        call.caller = authenticate(request, store);
        int retry_after = 0;
        std::string bucket = call.caller.user_id.empty() ? "token:" + call.caller.token_id : "user:" + call.caller.user_id;
        if (!token_limiter_.take(bucket, &retry_after)) {
            ApiError limited(429, "rate_limited", "too many requests for this token; retry after " +
                                                      std::to_string(retry_after) + " s");
            limited.headers.push_back({"Retry-After", std::to_string(retry_after)});
            throw limited;
        }
        if (scope_rank(call.caller.scope) < scope_rank(matched->scope)) {
            if (!call.caller.user_id.empty())
                throw ApiError(403, "insufficient_scope",
                               "this needs the member role \"" + role_for_scope(matched->scope) + "\" or higher; yours is \"" +
                                   role_for_scope(call.caller.scope) + "\": ask an admin of your organization");
            throw ApiError(403, "insufficient_scope",
                           "this needs a token with scope \"" + matched->scope + "\"; this token has \"" +
                               call.caller.scope + "\"");
        }
    }
    if (request.method == "GET")
        return matched->handler(call);

    if (!request.body.empty()) {
        call.body = nlohmann::json::parse(request.body, nullptr, false);
        if (call.body.is_discarded())
            throw ApiError(400, "invalid_json", "the request body is not valid JSON");
        if (!call.body.is_object())
            throw ApiError(400, "invalid_json", "the request body must be a JSON object");
    }
    HttpResponse response = run_change(call, *matched);
    runner_.wake();
    return response;
}

HttpResponse ControlPlaneApi::run_change(ApiCall &call, const Route &route)
{
    const std::string key = call.request.header("idempotency-key");
    // requests before sign-in (no organization yet) are not replayed
    const bool idempotent = call.request.method == "POST" && !key.empty() && !call.caller.organization_id.empty();
    if (idempotent && key.size() > kMaxIdempotencyKey)
        throw ApiError(400, "invalid_header", "the Idempotency-Key header is longer than 255 characters",
                       "Idempotency-Key");
    const std::string request_hash =
        sha256_hex(call.request.method + " " + parse_target(call.request.target).path + "\n" + call.body.dump());
    call.store.exec("BEGIN");
    try {
        // changes to one resource (a database, its roles, a token) run one at a time: two parallel
        // DELETEs of a database see each other, two creations of one role cannot both pass the check
        if (call.params.count("id"))
            call.store.exec("SELECT pg_advisory_xact_lock(hashtext('resource:' || $1))", {call.params["id"]});
        if (idempotent) {
            // the row lock makes a concurrent retry wait for the first answer
            call.store.exec("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))",
                        {call.caller.organization_id, key});
            PgResult earlier = call.store.exec(
                "SELECT request_hash, status, body FROM control.idempotency_keys WHERE organization_id = $1 AND "
                "key = $2 AND created_at > now() - interval '24 hours'",
                {call.caller.organization_id, key});
            if (earlier.rows() > 0) {
                call.store.exec("ROLLBACK");
                if (earlier.value(0, 0) != request_hash)
                    // 409, not the 422 the IETF draft suggests: a 422 always names a bad field
                    // of this request, and this request may be valid on its own
                    throw ApiError(409, "idempotency_key_reused",
                                   "this Idempotency-Key was used for a different request", "Idempotency-Key");
                HttpResponse replay;
                replay.status = std::stoi(earlier.value(0, 1));
                replay.body = earlier.value(0, 2);
                replay.headers.push_back({"Idempotent-Replayed", "true"});
                return replay;
            }
        }
        HttpResponse response = route.handler(call);
        if (idempotent)
            call.store.exec("INSERT INTO control.idempotency_keys (organization_id, key, request_hash, status, body) "
                        "VALUES ($1, $2, $3, $4::int, $5) ON CONFLICT (organization_id, key) DO UPDATE SET "
                        "request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, body = EXCLUDED.body, "
                        "created_at = now()",
                        {call.caller.organization_id, key, request_hash, std::to_string(response.status),
                         response.body});
        call.store.exec("COMMIT");
        return response;
    } catch (const ApiError &) {
        if (PQtransactionStatus(call.store.connection().get()) != PQTRANS_IDLE)
            call.store.exec("ROLLBACK");
        throw;
    } catch (...) {
        if (PQstatus(call.store.connection().get()) == CONNECTION_OK &&
            PQtransactionStatus(call.store.connection().get()) != PQTRANS_IDLE)
            call.store.connection().exec("ROLLBACK");
        throw;
    }
}

}  // namespace shale
