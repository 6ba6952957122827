// database_routes.cpp — /v1/databases: create (202 with the database and its
// operation; the operation runner builds the cluster), list, get, update (plan,
// settings), soft delete (the cluster is stopped and kept for the grace
// period) and undelete. Plan limits are checked here, in the same transaction
// that inserts the row.
#include <regex>

#include "common/cluster_layout.h"
#include "common/pg_connection.h"
#include "control_plane/api_handlers.h"
#include "control_plane/operation_runner.h"
#include "control_plane/plans.h"
#include "common/secrets.h"
#include "control_plane/schema_protection.h"
#include "control_plane/schema_snapshot.h"
#include "control_plane/serve_config.h"
#include "control_plane/templates.h"

namespace shale {

const char *const kDatabaseJson =
    "jsonb_build_object('id', d.id, 'name', d.name, 'state', d.state, 'plan', d.plan, 'template', d.template, "
    "'worker_groups', d.worker_groups, 'replicas', d.replicas, 'settings', d.settings, 'uri', d.uri, "
    "'error', d.error, 'parent_id', d.parent_id, 'created_at', control.iso(d.created_at), "
    "'updated_at', control.iso(d.updated_at), 'deleted_at', control.iso(d.deleted_at), "
    "'purge_after', control.iso(d.purge_after), 'storage_bytes', d.storage_bytes, "
    "'branch_data', d.branch_data, 'expires_at', control.iso(d.expires_at), "
    "'storage_checked_at', control.iso(d.storage_checked_at), 'storage_limit_gb', "
    "CASE WHEN d.plan = 'enterprise' THEN (SELECT (g.limits->>'storage_gb')::int FROM control.organizations g "
    "WHERE g.id = d.organization_id) ELSE (SELECT p.storage_gb FROM control.plans p WHERE p.name = d.plan) END)";

namespace {

// kLiveStates are the states that count against a plan's database limit.
const char *const kLiveStates = "('creating', 'ready', 'deleting', 'undeleting')";

}  // namespace

void check_database_name(const std::string &name)
{
    static const std::regex pattern("[a-z][a-z0-9-]{0,61}[a-z0-9]|[a-z]");
    if (!std::regex_match(name, pattern))
        throw ApiError(422, "invalid_field",
                       "a database name has 1 to 63 lowercase letters, digits and '-', starts with a letter and "
                       "does not end with '-'",
                       "name");
}

void check_restore_target(const std::string &to, const std::string &field)
{
    const char *message = "a restore point name or a UTC time \"YYYY-MM-DD HH:MM:SS\"";
    if (to.empty() || to.size() > 60)
        throw ApiError(422, "invalid_field", field + " is " + message, field);
    for (char c : to)
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::string("_-.: ").find(c) == std::string::npos)
            throw ApiError(422, "invalid_field", field + " is " + message, field);
}

namespace {

nlohmann::json organization_limits(ApiCall &call)
{
    auto limits = call.store.json_row("SELECT limits FROM control.organizations WHERE id = $1",
                                      {call.caller.organization_id});
    return limits ? *limits : nlohmann::json::object();
}

Plan plan_or_422(ApiCall &call, const std::string &name)
{
    auto plan = find_plan(name, organization_limits(call));
    if (!plan)
        throw ApiError(422, "invalid_field", "unknown plan \"" + name + "\" (free, starter, growth or enterprise)",
                       "plan");
    return *plan;
}

// check_database_count refuses one database too many on a plan (excluding
// database_id itself when it moves to the plan).
void check_database_count(ApiCall &call, const Plan &plan, const std::string &database_id)
{
    if (!plan.max_databases)
        return;
    auto count = call.store.value(std::string("SELECT count(*) FROM control.databases WHERE organization_id = $1 "
                                              "AND plan = $2 AND id <> $3 AND branch_data IS NULL AND state IN ") + kLiveStates,
                                  {call.caller.organization_id, plan.name, database_id});
    if (std::stoi(*count) >= *plan.max_databases)
        throw ApiError(403, "plan_limit",
                       "the " + plan.name + " plan allows " + std::to_string(*plan.max_databases) +
                           " database(s) per organization; delete one or choose a larger plan",
                       "plan");
}

void check_worker_groups(const Plan &plan, int worker_groups)
{
    if (worker_groups > plan.max_worker_groups)
        throw ApiError(403, "plan_limit",
                       "the " + plan.name + " plan allows " + std::to_string(plan.max_worker_groups) +
                           " worker groups per database (asked for " + std::to_string(worker_groups) + ")",
                       "worker_groups");
}

// validated_settings checks a settings object: auto_scaling (boolean) and
// description (string up to 200 characters).
nlohmann::json validated_settings(const nlohmann::json &settings)
{
    if (!settings.is_object())
        throw ApiError(422, "invalid_field", "settings must be an object", "settings");
    for (const auto &item : settings.items()) {
        if (item.key() == "auto_scaling" || item.key() == "protected") {
            if (!item.value().is_boolean())
                throw ApiError(422, "invalid_field", "settings." + item.key() + " must be true or false",
                               "settings." + item.key());
        } else if (item.key() == "description") {
            if (!item.value().is_string() || item.value().get<std::string>().size() > 200)
                throw ApiError(422, "invalid_field", "settings.description must be a string of up to 200 characters",
                               "settings.description");
        } else {
            throw ApiError(422, "unknown_field", "unknown setting \"" + item.key() + "\" (auto_scaling, protected, description)",
                           "settings." + item.key());
        }
    }
    return settings;
}

// apply_auto_scaling sets shale.auto_scaling on the database's router.
void apply_auto_scaling(const nlohmann::json &database, bool on)
{
    auto layout = ClusterLayout::load(database["dir"].get<std::string>());
    if (!layout)
        throw ApiError(409, "database_not_ready", "the database's cluster is not there");
    PgConnection router = PgConnection::connect(layout->router_conninfo("shale_serve"));
    if (!router.ok())
        throw ApiError(503, "database_unavailable", "cannot reach the database's router: " + router.error_message());
    PgResult set = router.exec(std::string("ALTER SYSTEM SET shale.auto_scaling = ") + (on ? "on" : "off"));
    PgResult reload = router.exec("SELECT pg_reload_conf()");
    if (!set.ok() || !reload.ok())
        throw ApiError(503, "database_unavailable", "could not change shale.auto_scaling: " + set.error_message());
}

// apply_protection installs or removes the event trigger that refuses DDL
// outside deploy requests on the database's router (schema_protection.h).
void apply_protection(const nlohmann::json &database, bool on)
{
    if (on && database["branch_data"].is_string())
        throw ApiError(422, "invalid_field", "a branch cannot be protected; protect its parent",
                       "settings.protected");
    try {
        PgConnection router = open_router(database["dir"].get<std::string>(), "shale_serve");
        set_schema_protection(router, on);
    } catch (const std::runtime_error &error) {
        throw ApiError(503, "database_unavailable", error.what());
    }
}

nlohmann::json public_database(nlohmann::json database)
{
    database.erase("dir");
    return database;
}

}  // namespace

nlohmann::json queue_operation(ApiCall &call, const std::string &database_id, const std::string &kind,
                               const nlohmann::json &args)
{
    nlohmann::json steps = nlohmann::json::array();
    for (const auto &name : operation_step_names(kind))
        steps.push_back({{"name", name}, {"state", "pending"}});
    return *call.store.json_row(
        std::string("INSERT INTO control.operations AS o (id, organization_id, database_id, kind, state, steps, "
                    "args) VALUES ($1, $2, $3, $4, 'pending', $5::jsonb, $6::jsonb) RETURNING ") + kOperationJson,
        {new_id("op"), call.caller.organization_id, database_id, kind, steps.dump(), args.dump()});
}

nlohmann::json find_database(ApiCall &call)
{
    auto database = call.store.json_row(std::string("SELECT ") + kDatabaseJson +
                                            " || jsonb_build_object('dir', d.dir) FROM control.databases d "
                                            "WHERE d.id = $1 AND d.organization_id = $2 AND d.state <> 'purged'",
                                        {call.params["id"], call.caller.organization_id});
    if (!database)
        throw ApiError(404, "not_found", "no database " + call.params["id"] + " in this organization");
    return *database;
}

HttpResponse post_database(ApiCall &call)
{
    call.reject_unknown_fields({"name", "template", "plan", "worker_groups", "replicas", "settings"});
    std::string name = *call.string_field("name", true);
    check_database_name(name);
    std::string template_name = call.string_field("template").value_or("blank");
    if (!load_template(call.config.templates_dir, template_name))
        throw ApiError(422, "invalid_field", "unknown template \"" + template_name + "\" (see GET /v1/templates)",
                       "template");
    Plan plan = plan_or_422(call, call.string_field("plan").value_or("free"));
    int worker_groups = call.integer_field("worker_groups", 1, 64).value_or(std::min(2, plan.max_worker_groups));
    int replicas = call.integer_field("replicas", 0, 2).value_or(1);
    nlohmann::json settings = validated_settings(call.body.value("settings", nlohmann::json::object()));
    check_worker_groups(plan, worker_groups);

    // one creation at a time per organization gets past the checks below
    call.store.exec("SELECT pg_advisory_xact_lock(hashtext('databases:' || $1))", {call.caller.organization_id});
    auto taken = call.store.value("SELECT state FROM control.databases WHERE organization_id = $1 AND name = $2 "
                                  "AND state <> 'purged'",
                                  {call.caller.organization_id, name});
    if (taken)
        throw ApiError(409, "name_taken",
                       *taken == "deleted"
                           ? "a deleted database is called \"" + name + "\" until its grace period ends; undelete "
                                                                       "it or choose another name"
                           : "a database called \"" + name + "\" exists already",
                       "name");
    check_database_count(call, plan, "");

    std::string id = new_id("db");
    auto database = call.store.json_row(
        std::string("INSERT INTO control.databases AS d (id, organization_id, name, plan, template, worker_groups, "
                    "replicas, settings, state, dir) VALUES ($1, $2, $3, $4, $5, $6::int, $7::int, $8::jsonb, "
                    "'creating', $9) RETURNING ") + kDatabaseJson,
        {id, call.caller.organization_id, name, plan.name, template_name, std::to_string(worker_groups),
         std::to_string(replicas), settings.dump(), call.config.databases_dir() + "/" + id});
    nlohmann::json operation = queue_operation(call, id, "create");
    call.audit("database.create", "database", id,
               {{"name", name}, {"plan", plan.name}, {"template", template_name}, {"worker_groups", worker_groups},
                {"replicas", replicas}});
    HttpResponse response = json_response(202, {{"database", *database}, {"operation", operation}});
    response.headers.push_back({"Location", "/v1/operations/" + operation["id"].get<std::string>()});
    return response;
}

HttpResponse list_databases(ApiCall &call)
{
    std::string include = call.query.count("include_deleted") ? call.query["include_deleted"] : "false";
    if (include != "true" && include != "false")
        throw ApiError(400, "invalid_parameter", "include_deleted must be true or false", "include_deleted");
    bool include_deleted = include == "true";
    auto databases = call.store.json_rows(
        std::string("SELECT ") + kDatabaseJson +
            " FROM control.databases d WHERE d.organization_id = $1 AND d.state <> 'purged' AND "
            "($2 = 'true' OR d.state <> 'deleted') ORDER BY d.created_at",
        {call.caller.organization_id, include_deleted ? "true" : "false"});
    return json_response(200, {{"databases", databases}});
}

HttpResponse get_database(ApiCall &call)
{
    return json_response(200, {{"database", public_database(find_database(call))}});
}

HttpResponse patch_database(ApiCall &call)
{
    call.reject_unknown_fields({"plan", "settings"});
    nlohmann::json database = find_database(call);
    if (database["state"] != "ready")
        throw ApiError(409, "database_not_ready",
                       "the database is " + database["state"].get<std::string>() + "; it can change when ready");
    std::string plan_name = call.string_field("plan").value_or(database["plan"].get<std::string>());
    Plan plan = plan_or_422(call, plan_name);
    if (plan_name != database["plan"]) {
        check_worker_groups(plan, database["worker_groups"].get<int>());
        call.store.exec("SELECT pg_advisory_xact_lock(hashtext('databases:' || $1))", {call.caller.organization_id});
        check_database_count(call, plan, database["id"].get<std::string>());
    }
    nlohmann::json settings = database["settings"];
    if (call.body.contains("settings")) {
        nlohmann::json changes = validated_settings(call.body["settings"]);
        if (changes.contains("auto_scaling"))
            apply_auto_scaling(database, changes["auto_scaling"].get<bool>());
        if (changes.contains("protected"))
            apply_protection(database, changes["protected"].get<bool>());
        settings.update(changes);
    }
    auto updated = call.store.json_row(
        std::string("UPDATE control.databases d SET plan = $2, settings = $3::jsonb, updated_at = now() "
                    "WHERE id = $1 RETURNING ") + kDatabaseJson,
        {database["id"].get<std::string>(), plan.name, settings.dump()});
    call.audit("database.update", "database", database["id"].get<std::string>(), call.body);
    return json_response(200, {{"database", *updated}});
}

HttpResponse delete_database(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json database = find_database(call);
    std::string state = database["state"].get<std::string>();
    if (state == "deleted" || state == "deleting")
        throw ApiError(409, "already_deleted", "the database is already " + state);
    if (state != "ready" && state != "failed")
        throw ApiError(409, "database_busy", "the database is " + state + "; delete it when that ends");
    std::string id = database["id"].get<std::string>();
    auto updated = call.store.json_row(std::string("UPDATE control.databases d SET state = 'deleting', "
                                                   "updated_at = now() WHERE id = $1 RETURNING ") + kDatabaseJson,
                                       {id});
    nlohmann::json operation = queue_operation(call, id, "delete");
    call.audit("database.delete", "database", id, {{"name", database["name"]}});
    return json_response(202, {{"database", *updated}, {"operation", operation}});
}

HttpResponse undelete_database(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json database = find_database(call);
    if (database["state"] != "deleted")
        throw ApiError(409, "not_deleted", "only a deleted database can be undeleted; this one is " +
                                               database["state"].get<std::string>());
    std::string id = database["id"].get<std::string>();
    Plan plan = plan_or_422(call, database["plan"].get<std::string>());
    call.store.exec("SELECT pg_advisory_xact_lock(hashtext('databases:' || $1))", {call.caller.organization_id});
    check_database_count(call, plan, id);
    auto updated = call.store.json_row(std::string("UPDATE control.databases d SET state = 'undeleting', "
                                                   "updated_at = now() WHERE id = $1 RETURNING ") + kDatabaseJson,
                                       {id});
    nlohmann::json operation = queue_operation(call, id, "undelete");
    call.audit("database.undelete", "database", id, {{"name", database["name"]}});
    return json_response(202, {{"database", *updated}, {"operation", operation}});
}

HttpResponse post_restore(ApiCall &call)
{
    call.reject_unknown_fields({"name", "to", "replicas"});
    std::string name = *call.string_field("name", true);
    check_database_name(name);
    std::string to = *call.string_field("to", true);
    check_restore_target(to, "to");
    nlohmann::json source = find_database(call);
    if (source["state"] != "ready")
        throw ApiError(409, "database_not_ready", "the database is " + source["state"].get<std::string>() +
                                                      "; it can be restored from when ready");
    int replicas = call.integer_field("replicas", 0, 2).value_or(source["replicas"].get<int>());
    Plan plan = plan_or_422(call, source["plan"].get<std::string>());
    call.store.exec("SELECT pg_advisory_xact_lock(hashtext('databases:' || $1))", {call.caller.organization_id});
    if (call.store.value("SELECT 1 FROM control.databases WHERE organization_id = $1 AND name = $2 AND "
                         "state <> 'purged'",
                         {call.caller.organization_id, name}))
        throw ApiError(409, "name_taken", "a database called \"" + name + "\" exists already", "name");
    check_database_count(call, plan, "");
    std::string id = new_id("db");
    auto database = call.store.json_row(
        std::string("INSERT INTO control.databases AS d (id, organization_id, name, plan, template, worker_groups, "
                    "replicas, settings, state, dir, parent_id) SELECT $1, organization_id, $2, plan, template, "
                    "worker_groups, $3::int, settings, 'creating', $4, id FROM control.databases WHERE id = $5 "
                    "RETURNING ") + kDatabaseJson,
        {id, name, std::to_string(replicas), call.config.databases_dir() + "/" + id, source["id"].get<std::string>()});
    nlohmann::json operation =
        queue_operation(call, id, "restore", {{"to", to}, {"source_id", source["id"]}});
    call.audit("database.restore", "database", id, {{"name", name}, {"source_id", source["id"]}, {"to", to}});
    return json_response(202, {{"database", *database}, {"operation", operation}});
}

}  // namespace shale
