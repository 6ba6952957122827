// organization_routes.cpp — GET/PATCH /v1/organization (the caller's own),
// POST /v1/organizations (the operator organization creates another, with its
// first admin token, shown once) and GET /v1/audit-log.
#include "control_plane/api_handlers.h"
#include "common/secrets.h"

namespace shale {

namespace {

const char *const kOrganizationJson =
    "jsonb_build_object('id', g.id, 'name', g.name, 'operator', g.operator, 'limits', g.limits, "
    "'created_at', control.iso(g.created_at))";

void check_organization_name(const std::string &name)
{
    if (name.empty() || name.size() > 100)
        throw ApiError(422, "invalid_field", "the organization name must have 1 to 100 characters", "name");
}

}  // namespace

HttpResponse get_organization(ApiCall &call)
{
    auto organization = call.store.json_row(
        std::string("SELECT ") + kOrganizationJson + " FROM control.organizations g WHERE g.id = $1",
        {call.caller.organization_id});
    return json_response(200, {{"organization", *organization}});
}

HttpResponse patch_organization(ApiCall &call)
{
    call.reject_unknown_fields({"name"});
    auto name = call.string_field("name", true);
    check_organization_name(*name);
    auto organization = call.store.json_row(std::string("UPDATE control.organizations g SET name = $2 WHERE id = $1 "
                                                        "RETURNING ") + kOrganizationJson,
                                            {call.caller.organization_id, *name});
    call.audit("organization.update", "organization", call.caller.organization_id, {{"name", *name}});
    return json_response(200, {{"organization", *organization}});
}

HttpResponse post_organization(ApiCall &call)
{
    if (!call.caller.operator_org)
        throw ApiError(403, "forbidden", "only the installation's operator organization can create organizations");
    call.reject_unknown_fields({"name", "limits"});
    auto name = call.string_field("name", true);
    check_organization_name(*name);
    nlohmann::json limits = call.body.value("limits", nlohmann::json::object());
    if (!limits.is_object())
        throw ApiError(422, "invalid_field", "limits must be an object (databases, worker_groups, storage_gb)",
                       "limits");
    for (auto &item : limits.items()) {
        auto number = whole_number(item.value());
        if ((item.key() != "databases" && item.key() != "worker_groups" && item.key() != "storage_gb") || !number ||
            *number < 0 || *number > 100000)
            throw ApiError(422, "invalid_field",
                           "limits." + item.key() + " is not a known limit with a whole number from 0 to 100000",
                           "limits." + item.key());
        item.value() = *number;  // stored as an integer
    }
    std::string id = new_id("org");
    auto organization = call.store.json_row(
        std::string("INSERT INTO control.organizations AS g (id, name, limits) VALUES ($1, $2, $3::jsonb) RETURNING ") +
            kOrganizationJson,
        {id, *name, limits.dump()});
    std::string token = new_api_token();
    std::string token_id = new_id("tok");
    call.store.exec("INSERT INTO control.tokens (id, organization_id, name, scope, token_hash, prefix, created_by) "
                    "VALUES ($1, $2, 'first admin token', 'admin', $3, $4, NULLIF($5, ''))",
                    {token_id, id, sha256_hex(token), token.substr(0, 12), call.caller.token_id});
    call.audit("organization.create", "organization", id, {{"name", *name}});
    return json_response(201, {{"organization", *organization},
                               {"token", {{"id", token_id}, {"scope", "admin"}, {"secret", token}}}});
}

HttpResponse get_audit_log(ApiCall &call)
{
    int limit = call.integer_query("limit", 100, 1, 1000);
    int before = call.integer_query("before", 0, 0, 2000000000);
    auto entries = call.store.json_rows(
        "SELECT jsonb_build_object('id', a.id, 'token_id', a.token_id, 'user_id', a.user_id, 'action', a.action, 'target_type', "
        "a.target_type, 'target_id', a.target_id, 'remote_address', a.remote_address, 'details', a.details, "
        "'at', control.iso(a.at)) FROM control.audit_log a WHERE a.organization_id = $1 AND "
        "($2::bigint = 0 OR a.id < $2::bigint) ORDER BY a.id DESC LIMIT $3::int",
        {call.caller.organization_id, std::to_string(before), std::to_string(limit)});
    return json_response(200, {{"entries", entries}});
}

}  // namespace shale
