// api_handlers.h — the handlers of the /v1 API of `shale serve`, one file per
// resource: organization_routes.cpp, token_routes.cpp, database_routes.cpp,
// role_routes.cpp, catalog_routes.cpp (plans, templates, operations, OpenAPI),
// database_proxy_routes.cpp (nodes, shards, events, backups of a database),
// session_routes.cpp and member_routes.cpp (the portal's sign-in and members),
// table_routes.cpp (tables and metrics of a database, from its router),
// insights_routes.cpp (query insights and advice of a database).
#pragma once

#include <optional>

#include "common/pg_connection.h"
#include "control_plane/api_call.h"

namespace shale {

HttpResponse get_organization(ApiCall &call);
HttpResponse patch_organization(ApiCall &call);
HttpResponse post_organization(ApiCall &call);
HttpResponse get_audit_log(ApiCall &call);

HttpResponse post_token(ApiCall &call);
HttpResponse list_tokens(ApiCall &call);
HttpResponse delete_token(ApiCall &call);

HttpResponse post_database(ApiCall &call);
HttpResponse list_databases(ApiCall &call);
HttpResponse get_database(ApiCall &call);
HttpResponse patch_database(ApiCall &call);
HttpResponse delete_database(ApiCall &call);
HttpResponse undelete_database(ApiCall &call);
HttpResponse post_restore(ApiCall &call);          // a new database from another's backups
HttpResponse post_database_backup(ApiCall &call);  // backup_routes.cpp
HttpResponse post_restore_point(ApiCall &call);

HttpResponse post_branch(ApiCall &call);  // branch_routes.cpp
HttpResponse list_branches(ApiCall &call);
HttpResponse get_branch(ApiCall &call);
HttpResponse delete_branch(ApiCall &call);
HttpResponse reset_branch(ApiCall &call);

HttpResponse post_deploy_request(ApiCall &call);  // deploy_request_routes.cpp
HttpResponse list_deploy_requests(ApiCall &call);
HttpResponse get_deploy_request(ApiCall &call);
HttpResponse deploy_deploy_request(ApiCall &call);
HttpResponse revert_deploy_request(ApiCall &call);
HttpResponse close_deploy_request(ApiCall &call);

HttpResponse post_role(ApiCall &call);
HttpResponse list_roles(ApiCall &call);
HttpResponse reset_role_password(ApiCall &call);
HttpResponse delete_role(ApiCall &call);

HttpResponse list_plans(ApiCall &call);
HttpResponse list_templates_route(ApiCall &call);
// get_ca_certificate answers the PEM of the certificate authority that signs every node's certificate.
HttpResponse get_ca_certificate(ApiCall &call);
HttpResponse get_template(ApiCall &call);
HttpResponse list_operations(ApiCall &call);
HttpResponse get_operation(ApiCall &call);
HttpResponse get_openapi(ApiCall &call);

HttpResponse get_setup(ApiCall &call);  // session_routes.cpp
HttpResponse post_setup(ApiCall &call);
HttpResponse post_session(ApiCall &call);
HttpResponse get_session(ApiCall &call);
HttpResponse delete_session(ApiCall &call);

HttpResponse list_members(ApiCall &call);  // member_routes.cpp
HttpResponse post_member(ApiCall &call);
HttpResponse patch_member(ApiCall &call);
HttpResponse delete_member(ApiCall &call);

HttpResponse list_tables(ApiCall &call);  // table_routes.cpp
HttpResponse distribute_table(ApiCall &call);
HttpResponse make_reference_table(ApiCall &call);
HttpResponse get_database_metrics(ApiCall &call);

HttpResponse get_database_insights(ApiCall &call);  // insights_routes.cpp
HttpResponse apply_database_advice(ApiCall &call);
HttpResponse dismiss_database_advice(ApiCall &call);

HttpResponse get_database_nodes(ApiCall &call);
HttpResponse get_database_shards(ApiCall &call);
HttpResponse get_database_events(ApiCall &call);
HttpResponse get_database_backups(ApiCall &call);

// check_database_name throws 422 unless name is a valid database name.
void check_database_name(const std::string &name);
// check_restore_target throws 422 (naming field) unless to looks like a
// restore point name or a UTC time.
void check_restore_target(const std::string &to, const std::string &field);

// find_database returns the caller's organization's database params["id"]
// as JSON (kDatabaseJson), or throws 404: another organization's database is
// not found, never forbidden.
nlohmann::json find_database(ApiCall &call);

// insert_user adds a user (body: email, password, name) as a member with role
// of an organization; 422 for a bad field, 409 for a taken e-mail address.
std::string insert_user(ApiCall &call, const std::string &organization_id, const std::string &role);
// checked_new_password reads body.password (10 to 200 characters) or throws 422.
std::string checked_new_password(ApiCall &call);
// checked_member_role reads body.role (admin, developer, read-only); "" when absent and not required.
std::string checked_member_role(ApiCall &call, bool required);

// router_connection connects to a ready database's router (409 when it is not
// ready, 503 when it does not answer).
PgConnection router_connection(ApiCall &call);

// queue_operation inserts a pending operation of a database with its steps
// (pending) and its arguments, and returns its JSON.
nlohmann::json queue_operation(ApiCall &call, const std::string &database_id, const std::string &kind,
                               const nlohmann::json &args = nlohmann::json::object());

// The JSON shapes of resources, as SQL expressions over their table aliases.
extern const char *const kDatabaseJson;   // alias d (control.databases)
extern const char *const kOperationJson;  // alias o (control.operations)
extern const char *const kTokenJson;      // alias t (control.tokens)
extern const char *const kMemberJson;     // aliases u (control.users), m (control.members)

}  // namespace shale
