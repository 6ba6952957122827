// backup_routes.cpp — backups and restore points of a database through the
// API: each is an operation that runs `shale backup` or `shale restore-point`
// on the database's cluster (GET /v1/databases/{id}/backups lists the results,
// from its shaled). Restoring into a new database is post_restore in
// database_routes.cpp.
#include "control_plane/api_handlers.h"
#include "common/secrets.h"

namespace shale {

namespace {

nlohmann::json ready_database(ApiCall &call)
{
    nlohmann::json database = find_database(call);
    if (database["state"] != "ready")
        throw ApiError(409, "database_not_ready", "the database is " + database["state"].get<std::string>());
    return database;
}

}  // namespace

HttpResponse post_database_backup(ApiCall &call)
{
    call.reject_unknown_fields({"kind"});
    std::string kind = call.string_field("kind").value_or("full");
    if (kind != "full" && kind != "diff" && kind != "incr")
        throw ApiError(422, "invalid_field", "kind is full, diff or incr", "kind");
    nlohmann::json database = ready_database(call);
    nlohmann::json operation = queue_operation(call, database["id"], "backup", {{"kind", kind}});
    call.audit("database.backup", "database", database["id"], {{"kind", kind}});
    return json_response(202, {{"operation", operation}});
}

HttpResponse post_restore_point(ApiCall &call)
{
    call.reject_unknown_fields({"name"});
    std::string name = call.string_field("name").value_or("");
    if (name.size() > 60)
        throw ApiError(422, "invalid_field", "a restore point name has 1 to 60 characters", "name");
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
            throw ApiError(422, "invalid_field", "a restore point name has letters, digits, '_', '-' and '.' only",
                           "name");
    if (name.empty())
        name = "point-" + random_hex(4);
    nlohmann::json database = ready_database(call);
    nlohmann::json operation = queue_operation(call, database["id"], "restore_point", {{"name", name}});
    call.audit("database.restore_point", "database", database["id"], {{"name", name}});
    return json_response(202, {{"operation", operation}});
}

}  // namespace shale
