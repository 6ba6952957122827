// branch_routes.cpp — /v1/databases/{id}/branches: a branch is a database of
// its own (cluster, roles, URI) whose parent_id is the database and whose
// branch_data says what it started from: "schema" (the tables, distribution,
// co-location, indexes, constraints, sequences, views and functions, no rows),
// "latest", a restore point or a UTC time (the rows then, restored from the
// parent's backups). Create (202 + operation), list, get, delete (the branch's
// servers and files go at once), reset (back to the parent's current schema,
// and data for a branch with data, on the same ports: the URI stays).
#include "control_plane/api_handlers.h"
#include "common/secrets.h"
#include "control_plane/serve_config.h"

namespace shale {

namespace {

constexpr long long kMaxTtlSeconds = 365LL * 24 * 3600;

// find_branch returns the branch params["branch"] (its name or id) of the
// database params["id"], or throws 404.
nlohmann::json find_branch(ApiCall &call, const nlohmann::json &parent)
{
    auto branch = call.store.json_row(
        std::string("SELECT ") + kDatabaseJson + " || jsonb_build_object('dir', d.dir) FROM control.databases d "
                                                 "WHERE d.parent_id = $1 AND d.branch_data IS NOT NULL AND "
                                                 "(d.id = $2 OR d.name = $2) AND d.state NOT IN ('purged', 'deleted')",
        {parent["id"].get<std::string>(), call.params["branch"]});
    if (!branch)
        throw ApiError(404, "not_found", "no branch " + call.params["branch"] + " of database " +
                                             parent["name"].get<std::string>());
    return *branch;
}

nlohmann::json without_dir(nlohmann::json database)
{
    database.erase("dir");
    return database;
}

}  // namespace

HttpResponse post_branch(ApiCall &call)
{
    call.reject_unknown_fields({"name", "data", "ttl_seconds"});
    std::string name = *call.string_field("name", true);
    check_database_name(name);
    std::string data = call.string_field("data").value_or("schema");
    if (data != "schema" && data != "latest")
        check_restore_target(data, "data");
    std::optional<long long> ttl;
    if (call.body.contains("ttl_seconds") && !call.body["ttl_seconds"].is_null()) {
        ttl = whole_number(call.body["ttl_seconds"]);
        if (!ttl || *ttl < 10 || *ttl > kMaxTtlSeconds)
            throw ApiError(422, "invalid_field", "ttl_seconds is a whole number of seconds from 10 to 31536000",
                           "ttl_seconds");
    }
    nlohmann::json parent = find_database(call);
    if (parent["state"] != "ready")
        throw ApiError(409, "database_not_ready",
                       "the database is " + parent["state"].get<std::string>() + "; it can be branched when ready");
    call.store.exec("SELECT pg_advisory_xact_lock(hashtext('databases:' || $1))", {call.caller.organization_id});
    if (call.store.value("SELECT 1 FROM control.databases WHERE organization_id = $1 AND name = $2 AND "
                         "state <> 'purged'",
                         {call.caller.organization_id, name}))
        throw ApiError(409, "name_taken", "a database or branch called \"" + name + "\" exists already", "name");
    std::string id = new_id("db");
    auto database = call.store.json_row(
        std::string("INSERT INTO control.databases AS d (id, organization_id, name, plan, template, worker_groups, "
                    "replicas, settings, state, dir, parent_id, branch_data, expires_at) SELECT $1, organization_id, $2, "
                    "plan, template, worker_groups, replicas, settings - 'protected', 'creating', $3, id, $4, "
                    "now() + (NULLIF($5, '') || ' seconds')::interval FROM control.databases WHERE id = $6 RETURNING ") +
            kDatabaseJson,
        {id, name, call.config.databases_dir() + "/" + id, data, ttl ? std::to_string(*ttl) : "",
         parent["id"].get<std::string>()});
    nlohmann::json operation = queue_operation(call, id, "branch", {{"data", data}, {"parent_id", parent["id"]}});
    call.audit("branch.create", "database", id,
               {{"name", name}, {"parent_id", parent["id"]}, {"data", data}, {"ttl_seconds", ttl ? *ttl : 0}});
    HttpResponse response = json_response(202, {{"database", *database}, {"operation", operation}});
    response.headers.push_back({"Location", "/v1/operations/" + operation["id"].get<std::string>()});
    return response;
}

HttpResponse list_branches(ApiCall &call)
{
    nlohmann::json parent = find_database(call);
    auto branches = call.store.json_rows(std::string("SELECT ") + kDatabaseJson +
                                             " FROM control.databases d WHERE d.parent_id = $1 AND d.branch_data IS NOT "
                                             "NULL AND d.state NOT IN ('purged', 'deleted') ORDER BY d.created_at",
                                         {parent["id"].get<std::string>()});
    return json_response(200, {{"branches", branches}});
}

HttpResponse get_branch(ApiCall &call)
{
    return json_response(200, {{"database", without_dir(find_branch(call, find_database(call)))}});
}

HttpResponse delete_branch(ApiCall &call)
{
    nlohmann::json branch = find_branch(call, find_database(call));
    call.params["id"] = branch["id"].get<std::string>();
    return delete_database(call);
}

HttpResponse reset_branch(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json parent = find_database(call);
    nlohmann::json branch = find_branch(call, parent);
    if (parent["state"] != "ready")
        throw ApiError(409, "database_not_ready", "the parent is " + parent["state"].get<std::string>());
    if (branch["state"] != "ready")
        throw ApiError(409, "database_not_ready",
                       "the branch is " + branch["state"].get<std::string>() + "; it can be reset when ready");
    if (call.store.value("SELECT 1 FROM control.operations WHERE database_id = $1 AND state IN ('pending', 'running')",
                         {branch["id"].get<std::string>()}))
        throw ApiError(409, "database_busy", "an operation on the branch is still running; reset it when it ends");
    nlohmann::json operation = queue_operation(call, branch["id"], "reset", {{"parent_id", parent["id"]}});
    call.audit("branch.reset", "database", branch["id"], {{"parent_id", parent["id"]}});
    return json_response(202, {{"database", without_dir(branch)}, {"operation", operation}});
}

}  // namespace shale
