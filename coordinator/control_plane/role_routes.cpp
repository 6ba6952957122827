// role_routes.cpp — application roles of a database: create (password
// generated, in the answer once), list with their connection strings, reset
// the password, delete. The role lives on the database's router; the state
// database records only its name, never its password.
#include <regex>

#include "common/cluster_layout.h"
#include "common/pg_connection.h"
#include "control_plane/api_handlers.h"
#include "common/cluster_password.h"
#include "common/secrets.h"

namespace shale {

namespace {

const char *const kRoleJson =
    "jsonb_build_object('id', r.id, 'name', r.name, 'created_at', control.iso(r.created_at), "
    "'password_changed_at', control.iso(r.password_changed_at))";

void check_role_name(const std::string &name)
{
    static const std::regex pattern("[a-z_][a-z0-9_]{0,62}");
    if (!std::regex_match(name, pattern))
        throw ApiError(422, "invalid_field",
                       "a role name has 1 to 63 lowercase letters, digits and '_' and does not start with a digit",
                       "name");
    if (name == "postgres" || name.rfind("pg_", 0) == 0 || name.rfind("shale", 0) == 0)
        throw ApiError(422, "reserved_name", "role names postgres, pg_* and shale* are reserved", "name");
}

ClusterLayout ready_layout(const nlohmann::json &database)
{
    if (database["state"] != "ready")
        throw ApiError(409, "database_not_ready",
                       "the database is " + database["state"].get<std::string>() + "; roles need it ready");
    auto layout = ClusterLayout::load(database["dir"].get<std::string>());
    if (!layout)
        throw ApiError(409, "database_not_ready", "the database's cluster is not there");
    return *layout;
}

// run_on_every_primary runs SQL (names and password are checked, so they
// need no quoting beyond the double quotes given) on the writable router and
// then on every worker primary its catalog lists: the router reaches the
// workers as the client's role, so a role must exist on each of them. The
// statements are written so that running them again converges (create or
// alter, drop if it exists): a call that failed half-way is retried whole.
// router_sql, when given, runs on the router instead of sql (a plain CREATE
// ROLE there refuses a role made outside the API), and undo_on_router runs
// there when a worker fails, so that the retry's CREATE finds no role.
void run_on_every_primary(const ClusterLayout &layout, const std::string &sql, const std::string &router_sql = "",
                          const std::string &undo_on_router = "")
{
    PgConnection router = PgConnection::connect(layout.router_conninfo("shale_serve"));
    if (!router.ok())
        throw ApiError(503, "database_unavailable", "cannot reach the database's router: " + router.error_message());
    PgResult workers = router.exec("SELECT host, port FROM shale.nodes WHERE role = 'primary' AND group_id > 0 "
                                   "ORDER BY group_id");
    if (!workers.ok())
        throw ApiError(503, "database_unavailable", "cannot read the worker nodes: " + workers.error_message());
    PgResult result = router.exec(router_sql.empty() ? sql : router_sql);
    if (!result.ok())
        throw ApiError(409, "role_change_failed", "the database refused the change: " + result.error_message());
    for (int row = 0; row < workers.rows(); row++) {
        PgConnection worker = PgConnection::connect(
            node_conninfo(workers.value(row, 0), std::stoi(workers.value(row, 1))) +
            " connect_timeout=5 application_name=shale_serve passfile=" +
            quote_conninfo_value(cluster_password_file(layout.dir)));
        PgResult done = worker.ok() ? worker.exec(sql) : PgResult();
        if (!done.ok() && !undo_on_router.empty())
            router.exec(undo_on_router);
        if (!done.ok())
            throw ApiError(503, "database_unavailable",
                           "worker " + workers.value(row, 0) + ":" + workers.value(row, 1) + " refused the change: " +
                               (worker.ok() ? done.error_message() : worker.error_message()));
    }
}

// role_uri is the cluster URI with the role (and its password when given).
std::string role_uri(const ClusterLayout &layout, const std::string &role, const std::string &password)
{
    std::string uri = layout.uri();
    const std::string prefix = "postgres://postgres@";
    if (uri.compare(0, prefix.size(), prefix) == 0)
        uri = "postgres://" + role + (password.empty() ? "" : ":" + password) + "@" + uri.substr(prefix.size());
    return uri;
}

nlohmann::json find_role(ApiCall &call, const nlohmann::json &database)
{
    auto role = call.store.json_row(std::string("SELECT ") + kRoleJson +
                                        " FROM control.roles r WHERE r.database_id = $1 AND r.name = $2",
                                    {database["id"].get<std::string>(), call.params["name"]});
    if (!role)
        throw ApiError(404, "not_found", "no role " + call.params["name"] + " in this database");
    return *role;
}

}  // namespace

HttpResponse post_role(ApiCall &call)
{
    call.reject_unknown_fields({"name"});
    std::string name = *call.string_field("name", true);
    check_role_name(name);
    nlohmann::json database = find_database(call);
    ClusterLayout layout = ready_layout(database);
    std::string database_id = database["id"].get<std::string>();
    if (call.store.value("SELECT 1 FROM control.roles WHERE database_id = $1 AND name = $2", {database_id, name}))
        throw ApiError(409, "name_taken", "the role \"" + name + "\" exists already", "name");
    std::string password = new_password();
    auto role = call.store.json_row(std::string("INSERT INTO control.roles AS r (id, database_id, name) VALUES "
                                                "($1, $2, $3) RETURNING ") + kRoleJson,
                                    {new_id("role"), database_id, name});
    // reading and writing every table, creating in schema public; nothing more
    const std::string grants = "; GRANT pg_read_all_data, pg_write_all_data TO \"" + name +
                               "\"; GRANT CREATE, USAGE ON SCHEMA public TO \"" + name + "\"";
    run_on_every_primary(layout,
                         "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '" + name +
                             "') THEN ALTER ROLE \"" + name + "\" LOGIN PASSWORD '" + password +
                             "'; ELSE CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'; END IF; END $$" +
                             grants,
                         "CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'" + grants,
                         "DROP ROLE IF EXISTS \"" + name + "\"");
    set_role_password_entry(layout.dir, name, password);
    call.audit("role.create", "role", name, {{"database_id", database_id}});
    (*role)["connection_uri"] = role_uri(layout, name, "");
    return json_response(201, {{"role", *role}, {"password", password},
                               {"connection_uri", role_uri(layout, name, password)}});
}

HttpResponse list_roles(ApiCall &call)
{
    nlohmann::json database = find_database(call);
    auto layout = ClusterLayout::load(database["dir"].get<std::string>());
    auto roles = call.store.json_rows(std::string("SELECT ") + kRoleJson +
                                          " FROM control.roles r WHERE r.database_id = $1 ORDER BY r.name",
                                      {database["id"].get<std::string>()});
    for (auto &role : roles)
        role["connection_uri"] = layout ? nlohmann::json(role_uri(*layout, role["name"], "")) : nlohmann::json(nullptr);
    return json_response(200, {{"roles", roles}});
}

HttpResponse reset_role_password(ApiCall &call)
{
    call.reject_unknown_fields({});
    nlohmann::json database = find_database(call);
    ClusterLayout layout = ready_layout(database);
    nlohmann::json role = find_role(call, database);
    std::string password = new_password();
    run_on_every_primary(layout, "ALTER ROLE \"" + call.params["name"] + "\" PASSWORD '" + password + "'");
    auto updated = call.store.json_row(std::string("UPDATE control.roles r SET password_changed_at = now() "
                                                   "WHERE id = $1 RETURNING ") + kRoleJson,
                                       {role["id"].get<std::string>()});
    set_role_password_entry(layout.dir, call.params["name"], password);
    call.audit("role.reset_password", "role", call.params["name"], {{"database_id", database["id"]}});
    (*updated)["connection_uri"] = role_uri(layout, call.params["name"], "");
    return json_response(200, {{"role", *updated}, {"password", password},
                               {"connection_uri", role_uri(layout, call.params["name"], password)}});
}

HttpResponse delete_role(ApiCall &call)
{
    nlohmann::json database = find_database(call);
    ClusterLayout layout = ready_layout(database);
    nlohmann::json role = find_role(call, database);
    const std::string &name = call.params["name"];
    run_on_every_primary(layout, "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '" + name +
                                     "') THEN REASSIGN OWNED BY \"" + name + "\" TO postgres; DROP OWNED BY \"" + name +
                                     "\"; DROP ROLE \"" + name + "\"; END IF; END $$");
    call.store.exec("DELETE FROM control.roles WHERE id = $1", {role["id"].get<std::string>()});
    set_role_password_entry(layout.dir, name, "");
    call.audit("role.delete", "role", name, {{"database_id", database["id"]}});
    HttpResponse response;
    response.status = 204;
    return response;
}

}  // namespace shale
