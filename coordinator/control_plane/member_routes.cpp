// member_routes.cpp — the portal's members of the caller's organization: users
// with a password and a role (admin, developer, read-only; the API acts for
// them with the token scope admin, write or read). Admins add, change
// (role, new password) and remove members; the last admin cannot be removed
// or demoted, so an organization never locks itself out.
#include "control_plane/api_handlers.h"
#include "control_plane/password_hash.h"

namespace shale {

namespace {

nlohmann::json find_member(ApiCall &call)
{
    auto member = call.store.json_row(std::string("SELECT ") + kMemberJson +
                                          " FROM control.users u JOIN control.members m ON m.user_id = u.id "
                                          "WHERE u.id = $1 AND m.organization_id = $2",
                                      {call.params["id"], call.caller.organization_id});
    if (!member)
        throw ApiError(404, "not_found", "no member " + call.params["id"] + " in this organization");
    return *member;
}

// refuse_last_admin throws 409 when member is the organization's only admin.
void refuse_last_admin(ApiCall &call, const nlohmann::json &member, const std::string &what)
{
    if (member["role"] != "admin")
        return;
    call.store.exec("SELECT 1 FROM control.members WHERE organization_id = $1 FOR UPDATE",
                    {call.caller.organization_id});
    auto admins = call.store.value("SELECT count(*) FROM control.members WHERE organization_id = $1 AND role = 'admin'",
                                   {call.caller.organization_id});
    if (admins && *admins == "1")
        throw ApiError(409, "last_admin", "cannot " + what + " the organization's only admin: make another member "
                                          "admin first");
}

}  // namespace

HttpResponse list_members(ApiCall &call)
{
    auto members = call.store.json_rows(std::string("SELECT ") + kMemberJson +
                                            " FROM control.users u JOIN control.members m ON m.user_id = u.id "
                                            "WHERE m.organization_id = $1 ORDER BY u.created_at",
                                        {call.caller.organization_id});
    return json_response(200, {{"members", members}});
}

HttpResponse post_member(ApiCall &call)
{
    std::string role = checked_member_role(call, true);
    std::string id = insert_user(call, call.caller.organization_id, role);
    call.params["id"] = id;
    nlohmann::json member = find_member(call);
    call.audit("member.create", "user", id, {{"email", member["email"]}, {"role", role}});
    return json_response(201, {{"member", member}});
}

HttpResponse patch_member(ApiCall &call)
{
    if (call.request.body.empty())
        throw ApiError(400, "invalid_json", "send a JSON object with role and/or password");
    call.reject_unknown_fields({"role", "password"});
    for (const char *field : {"role", "password"})
        if (call.body.contains(field) && call.body[field].is_null())
            throw ApiError(422, "invalid_field", std::string("the field \"") + field + "\" must be a string", field);
    if (!call.body.contains("role") && !call.body.contains("password"))
        throw ApiError(422, "missing_field", "send role, password or both", "role");
    nlohmann::json member = find_member(call);
    std::string role = checked_member_role(call, false);
    nlohmann::json details = nlohmann::json::object();
    if (!role.empty() && role != member["role"]) {
        refuse_last_admin(call, member, "demote");
        call.store.exec("UPDATE control.members SET role = $2 WHERE user_id = $1", {call.params["id"], role});
        details["role"] = role;
    }
    if (call.string_field("password", false)) {
        std::string password = checked_new_password(call);
        call.store.exec("UPDATE control.users SET password_hash = $2, password_changed_at = now() WHERE id = $1",
                        {call.params["id"], hash_password(password)});
        // a new password ends the member's other sessions
        call.store.exec("DELETE FROM control.sessions WHERE user_id = $1 AND id <> $2",
                        {call.params["id"], call.caller.session_id});
        details["password"] = "changed";
    }
    call.audit("member.update", "user", call.params["id"], details);
    return json_response(200, {{"member", find_member(call)}});
}

HttpResponse delete_member(ApiCall &call)
{
    nlohmann::json member = find_member(call);
    refuse_last_admin(call, member, "remove");
    call.store.exec("DELETE FROM control.users WHERE id = $1", {call.params["id"]});
    call.audit("member.delete", "user", call.params["id"], {{"email", member["email"]}});
    return json_response(200, {{"member", member}});
}

}  // namespace shale
