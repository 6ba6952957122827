// deploy_request_routes.cpp — /v1/databases/{id}/deploy-requests: open one
// from a branch (the plan — DDL, lint, conflicts — is computed at once from the
// two databases' catalogs), list, show, deploy (gated: a request waits until
// this call; auto_apply deploys it when it opens), revert (within the revert
// window), close. Deploys and reverts are operations.
#include <stdexcept>

#include "control_plane/api_handlers.h"
#include "control_plane/branch_operations.h"
#include "control_plane/schema_diff.h"
#include "common/secrets.h"

namespace shale {

namespace {

const char *const kDeployRequestJson =
    "jsonb_build_object('id', r.id, 'database_id', r.database_id, 'branch_id', r.branch_id, "
    "'branch', (SELECT b.name FROM control.databases b WHERE b.id = r.branch_id), 'number', r.number, "
    "'state', r.state, 'auto_apply', r.auto_apply, 'ddl', r.plan->>'ddl', 'steps', r.plan->'steps', "
    "'lint', r.plan->'lint', 'conflicts', r.plan->'conflicts', "
    "'deployable', r.state IN ('open', 'failed') AND jsonb_array_length(r.plan->'conflicts') = 0 AND NOT EXISTS "
    "(SELECT FROM jsonb_array_elements(r.plan->'lint') f WHERE f->>'severity' = 'error'), "
    "'kept', r.kept, 'parent_state', r.parent_state, 'error', r.error, 'operation_id', r.operation_id, "
    "'created_at', control.iso(r.created_at), 'updated_at', control.iso(r.updated_at), "
    "'deployed_at', control.iso(r.deployed_at), 'revert_until', control.iso(r.revert_until), "
    "'revert_seconds_left', CASE WHEN r.state = 'deployed' AND r.revert_until > now() THEN "
    "ceil(extract(epoch FROM r.revert_until - now()))::int END, "
    "'kept_removed_at', control.iso(r.kept_removed_at), 'closed_at', control.iso(r.closed_at))";

nlohmann::json find_request(ApiCall &call, const nlohmann::json &database)
{
    auto request = call.store.json_row(
        std::string("SELECT ") + kDeployRequestJson + " || jsonb_build_object('plan', r.plan) FROM "
                                                      "control.deploy_requests r WHERE r.database_id = $1 AND "
                                                      "(r.id = $2 OR r.number::text = $2)",
        {database["id"].get<std::string>(), call.params["request"]});
    if (!request)
        throw ApiError(404, "not_found", "no deploy request " + call.params["request"] + " on database " +
                                             database["name"].get<std::string>());
    return *request;
}

nlohmann::json public_request(nlohmann::json request)
{
    request.erase("plan");
    return request;
}

nlohmann::json request_by_id(ApiCall &call, const std::string &id)
{
    return *call.store.json_row(std::string("SELECT ") + kDeployRequestJson +
                                    " FROM control.deploy_requests r WHERE r.id = $1",
                                {id});
}

nlohmann::json ready_parent(ApiCall &call)
{
    nlohmann::json database = find_database(call);
    if (database["state"] != "ready")
        throw ApiError(409, "database_not_ready", "the database is " + database["state"].get<std::string>());
    return database;
}

// queue_deploy marks a request queued and queues its deploy operation.
nlohmann::json queue_deploy(ApiCall &call, const nlohmann::json &database, const std::string &request_id)
{
    nlohmann::json operation = queue_operation(call, database["id"], "deploy", {{"deploy_request_id", request_id}});
    call.store.exec("UPDATE control.deploy_requests SET state = 'queued', operation_id = $2, error = NULL, "
                    "parent_state = NULL, updated_at = now() WHERE id = $1",
                    {request_id, operation["id"].get<std::string>()});
    return operation;
}

}  // namespace

HttpResponse post_deploy_request(ApiCall &call)
{
    call.reject_unknown_fields({"branch", "auto_apply"});
    std::string branch_name = *call.string_field("branch", true);
    bool auto_apply = false;
    if (call.body.contains("auto_apply")) {
        if (!call.body["auto_apply"].is_boolean())
            throw ApiError(422, "invalid_field", "auto_apply must be true or false", "auto_apply");
        auto_apply = call.body["auto_apply"].get<bool>();
    }
    nlohmann::json database = ready_parent(call);
    auto branch = call.store.json_row(
        "SELECT jsonb_build_object('id', d.id, 'name', d.name, 'state', d.state, 'dir', d.dir, 'base_schema', "
        "d.base_schema, 'parent_schema', d.parent_schema) FROM control.databases d WHERE d.parent_id = $1 AND "
        "d.branch_data IS NOT NULL AND (d.id = $2 OR d.name = $2) AND d.state NOT IN ('purged', 'deleted')",
        {database["id"].get<std::string>(), branch_name});
    if (!branch)
        throw ApiError(422, "invalid_field",
                       "no branch \"" + branch_name + "\" of database " + database["name"].get<std::string>() +
                           " (see GET /v1/databases/" + database["id"].get<std::string>() + "/branches)",
                       "branch");
    if ((*branch)["state"] != "ready" || (*branch)["base_schema"].is_null())
        throw ApiError(409, "database_not_ready", "the branch is " + (*branch)["state"].get<std::string>() +
                                                      "; open the deploy request when it is ready");
    call.store.exec("SELECT pg_advisory_xact_lock(hashtext('deploy-requests:' || $1))", {database["id"].get<std::string>()});
    int number = std::stoi(*call.store.value(
        "SELECT coalesce(max(number), 0) + 1 FROM control.deploy_requests WHERE database_id = $1", {database["id"]}));
    nlohmann::json plan;
    try {
        nlohmann::json branch_now = snapshot_of((*branch)["dir"].get<std::string>());
        nlohmann::json parent_now = snapshot_of(database["dir"].get<std::string>());
        plan = plan_deploy((*branch)["base_schema"], branch_now, (*branch)["parent_schema"], parent_now,
                           "dr" + std::to_string(number));
    } catch (const std::runtime_error &error) {
        ApiError unavailable(503, "database_unavailable", error.what());
        unavailable.headers.push_back({"Retry-After", "5"});
        throw unavailable;
    }
    if (plan["steps"].empty() && plan["lint"].empty())
        throw ApiError(422, "invalid_field",
                       "the branch \"" + branch_name + "\" has no schema changes since it was made (or since its last deploy)",
                       "branch");
    std::string id = new_id("dr");
    call.store.exec("INSERT INTO control.deploy_requests (id, organization_id, database_id, branch_id, number, state, "
                    "auto_apply, plan) VALUES ($1, $2, $3, $4, $5::int, 'open', $6::boolean, $7::jsonb)",
                    {id, call.caller.organization_id, database["id"].get<std::string>(), (*branch)["id"].get<std::string>(),
                     std::to_string(number), auto_apply ? "true" : "false", plan.dump()});
    nlohmann::json operation = nullptr;
    if (auto_apply && !has_blocking_findings(plan))
        operation = queue_deploy(call, database, id);
    call.audit("deploy_request.create", "deploy_request", id,
               {{"database_id", database["id"]}, {"branch", (*branch)["name"]}, {"auto_apply", auto_apply}});
    return json_response(201, {{"deploy_request", request_by_id(call, id)}, {"operation", operation}});
}

HttpResponse list_deploy_requests(ApiCall &call)
{
    nlohmann::json database = find_database(call);
    auto requests = call.store.json_rows(std::string("SELECT ") + kDeployRequestJson +
                                             " FROM control.deploy_requests r WHERE r.database_id = $1 ORDER BY r.number",
                                         {database["id"].get<std::string>()});
    return json_response(200, {{"deploy_requests", requests}});
}

HttpResponse get_deploy_request(ApiCall &call)
{
    return json_response(200, {{"deploy_request", public_request(find_request(call, find_database(call)))}});
}

HttpResponse deploy_deploy_request(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json database = ready_parent(call);
    nlohmann::json request = find_request(call, database);
    std::string state = request["state"].get<std::string>();
    if (state == "closed")
        throw ApiError(409, "closed", "deploy request " + std::to_string(request["number"].get<int>()) +
                                          " is closed; open a new one from the branch");
    if (state == "failed" && request["parent_state"] != "unchanged")
        throw ApiError(409, "not_deployable", "the last deploy of this request left the parent " +
                                                  request["parent_state"].get<std::string>() + "; see its steps");
    if (state != "open" && state != "failed")
        throw ApiError(409, "not_deployable", "the deploy request is " + state + "; only an open one can be deployed");
    if (!request["conflicts"].empty())
        throw ApiError(409, "conflict", "the parent changed objects the branch changes too since the branch was made "
                                        "(see conflicts); reset the branch, make the change again, open a new request");
    if (!request["deployable"].get<bool>())
        throw ApiError(409, "lint_errors", "the lint found errors (see lint, severity error); fix them on the branch "
                                           "and open a new deploy request");
    nlohmann::json operation = queue_deploy(call, database, request["id"]);
    call.audit("deploy_request.deploy", "deploy_request", request["id"], {{"database_id", database["id"]}});
    return json_response(202, {{"deploy_request", request_by_id(call, request["id"])}, {"operation", operation}});
}

HttpResponse revert_deploy_request(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json database = ready_parent(call);
    nlohmann::json request = find_request(call, database);
    if (request["state"] != "deployed")
        throw ApiError(409, "not_deployed", "only a deployed request can be reverted; this one is " +
                                                request["state"].get<std::string>());
    if (request["revert_seconds_left"].is_null())
        throw ApiError(409, "revert_window_closed", "the revert window of this deploy closed at " +
                                                        request["revert_until"].get<std::string>() +
                                                        "; make the reverse change on a branch and deploy it");
    nlohmann::json operation = queue_operation(call, database["id"], "revert", {{"deploy_request_id", request["id"]}});
    call.store.exec("UPDATE control.deploy_requests SET state = 'reverting', operation_id = $2, updated_at = now() "
                    "WHERE id = $1",
                    {request["id"].get<std::string>(), operation["id"].get<std::string>()});
    call.audit("deploy_request.revert", "deploy_request", request["id"], {{"database_id", database["id"]}});
    return json_response(202, {{"deploy_request", request_by_id(call, request["id"])}, {"operation", operation}});
}

HttpResponse close_deploy_request(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json database = find_database(call);
    nlohmann::json request = find_request(call, database);
    std::string state = request["state"].get<std::string>();
    if (state == "closed")
        throw ApiError(409, "closed", "the deploy request is closed already");
    if (state == "queued" || state == "deploying" || state == "reverting")
        throw ApiError(409, "deploy_request_busy", "the deploy request is " + state + "; close it when that ends");
    call.store.exec("UPDATE control.deploy_requests SET state = 'closed', closed_at = now(), updated_at = now() "
                    "WHERE id = $1",
                    {request["id"].get<std::string>()});
    call.audit("deploy_request.close", "deploy_request", request["id"], {{"database_id", database["id"]}});
    return json_response(200, {{"deploy_request", request_by_id(call, request["id"])}});
}

}  // namespace shale
