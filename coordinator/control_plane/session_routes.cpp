// session_routes.cpp — the portal's sign-in: GET/POST /v1/setup (the first
// admin user, only while no user exists), POST /v1/sessions (sign in with an
// e-mail and password, or with an API token), GET /v1/session (who is signed
// in, and the CSRF token again after a reload), DELETE /v1/session (sign out).
#include <algorithm>

#include "control_plane/api_handlers.h"
#include "control_plane/password_hash.h"
#include "control_plane/rate_limiter.h"
#include "common/secrets.h"
#include "control_plane/session_auth.h"

namespace shale {

const char *const kMemberJson =
    "jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name, 'role', m.role, "
    "'created_at', control.iso(u.created_at), 'password_changed_at', control.iso(u.password_changed_at))";

namespace {

// session_answer describes the caller's session: organization, member or
// token, scope, expiry, and the CSRF token the page sends with its changes.
HttpResponse session_answer(ApiCall &call, int status)
{
    auto session = call.store.json_row(
        std::string("SELECT jsonb_build_object('id', s.id, 'expires_at', control.iso(s.expires_at), "
                    "'organization', jsonb_build_object('id', o.id, 'name', o.name), 'token_id', s.token_id, "
                    "'member', CASE WHEN u.id IS NULL THEN NULL ELSE ") + kMemberJson + " END) "
                    "FROM control.sessions s JOIN control.organizations o ON o.id = s.organization_id "
                    "LEFT JOIN control.users u ON u.id = s.user_id LEFT JOIN control.members m ON m.user_id = u.id "
                    "WHERE s.id = $1",
        {call.caller.session_id});
    if (!session)
        throw ApiError(401, "unauthorized", "your session has ended; sign in again");
    (*session)["scope"] = call.caller.scope;
    return json_response(status, {{"session", *session}, {"csrf_token", call.caller.csrf_token}});
}

// signed_in answers a new session with its cookie.
HttpResponse signed_in(ApiCall &call, int status)
{
    std::string secret = start_session(call);
    HttpResponse response = session_answer(call, status);
    response.headers.push_back({"Set-Cookie", session_cookie(call.request, secret, kSessionSeconds)});
    return response;
}

// code_points counts the characters of UTF-8 text (JSON Schema's maxLength counts them, not bytes).
size_t code_points(const std::string &text)
{
    size_t count = 0;
    for (unsigned char c : text)
        count += (c & 0xC0) != 0x80;
    return count;
}

// checked_email reads body.email: one '@' between two parts without spaces or
// control characters, at most 254 characters; returned in lower case.
std::string checked_email(ApiCall &call)
{
    std::string email = *call.string_field("email", true);
    for (auto &c : email)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = email.find('@');
    bool plain = std::none_of(email.begin(), email.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; });
    if (code_points(email) > 254 || !plain || at == std::string::npos || at == 0 || at + 1 == email.size() ||
        email.find('@', at + 1) != std::string::npos)
        throw ApiError(422, "invalid_field", "give an e-mail address such as ada@example.com", "email");
    return email;
}

}  // namespace

std::string checked_new_password(ApiCall &call)
{
    std::string password = *call.string_field("password", true);
    if (code_points(password) < 10 || code_points(password) > 200)
        throw ApiError(422, "invalid_field", "a password has 10 to 200 characters; choose a longer one", "password");
    return password;
}

std::string checked_member_role(ApiCall &call, bool required)
{
    auto role = call.string_field("role", required);
    if (role && *role != "admin" && *role != "developer" && *role != "read-only")
        throw ApiError(422, "invalid_field", "role must be admin, developer or read-only", "role");
    return role.value_or("");
}

std::string insert_user(ApiCall &call, const std::string &organization_id, const std::string &role)
{
    call.reject_unknown_fields({"email", "password", "name", "role"});
    std::string email = checked_email(call);
    std::string password = checked_new_password(call);
    std::string name = call.string_field("name").value_or("");
    if (code_points(name) > 100)
        throw ApiError(422, "invalid_field", "a name has at most 100 characters", "name");
    if (call.store.value("SELECT 1 FROM control.users WHERE email = $1", {email}))
        throw ApiError(409, "email_taken", "a user with the e-mail address " + email + " exists already", "email");
    std::string id = new_id("usr");
    call.store.exec("INSERT INTO control.users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
                    {id, email, name, hash_password(password)});
    call.store.exec("INSERT INTO control.members (user_id, organization_id, role) VALUES ($1, $2, $3)",
                    {id, organization_id, role});
    return id;
}

HttpResponse get_setup(ApiCall &call)
{
    bool has_users = call.store.value("SELECT 1 FROM control.users LIMIT 1").has_value();
    // whether this browser holds a live session: the portal's first question, answered
    // without a 401 (which browsers log in the console)
    std::string secret = cookie_value(call.request, kSessionCookie);
    bool signed_in = !secret.empty() && secret.size() <= 100 &&
                     call.store.value("SELECT 1 FROM control.sessions WHERE session_hash = $1 AND expires_at > now()",
                                      {sha256_hex(secret)});
    return json_response(200, {{"admin_exists", has_users}, {"signed_in", signed_in}});
}

HttpResponse post_setup(ApiCall &call)
{
    // one creation at a time; the first one wins, later ones see the user
    call.store.exec("LOCK control.users IN EXCLUSIVE MODE");
    if (call.store.value("SELECT 1 FROM control.users LIMIT 1"))
        throw ApiError(409, "already_set_up", "the first admin user exists already: sign in instead");
    auto organization = call.store.value("SELECT id FROM control.organizations WHERE operator ORDER BY created_at LIMIT 1");
    if (!organization)
        throw ApiError(409, "not_ready", "shale serve has no organization yet; retry in a moment");
    call.caller.organization_id = *organization;
    call.caller.user_id = insert_user(call, *organization, "admin");
    call.caller.scope = "admin";
    call.audit("member.create", "user", call.caller.user_id, {{"role", "admin"}, {"by", "first start setup"}});
    return signed_in(call, 201);
}

HttpResponse post_session(ApiCall &call)
{
    call.reject_unknown_fields({"email", "password", "token"});
    RateLimiter &failures = *call.auth_failures;
    if (call.body.contains("token")) {
        std::string token = call.string_field("token", true).value();
        auto row = call.store.json_row(
            "SELECT jsonb_build_object('id', t.id, 'organization_id', t.organization_id, 'scope', t.scope) "
            "FROM control.tokens t WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND "
            "(t.expires_at IS NULL OR t.expires_at > now())",
            {sha256_hex(token)});
        if (!row)
            refuse_authentication(failures, call.request, "invalid_credentials",
                                  "this API token is not valid (unknown, revoked or expired); check it, or "
                                  "create a new one with shale token create");
        call.caller.token_id = (*row)["id"].get<std::string>();
        call.caller.organization_id = (*row)["organization_id"].get<std::string>();
        call.caller.scope = (*row)["scope"].get<std::string>();
        call.audit("session.create", "token", call.caller.token_id);
        return signed_in(call, 201);
    }
    std::string email = call.string_field("email", true).value();
    std::string password = call.string_field("password", true).value();
    for (auto &c : email)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto row = call.store.json_row(
        "SELECT jsonb_build_object('id', u.id, 'hash', u.password_hash, 'organization_id', m.organization_id, "
        "'scope', control.member_scope(m.role)) FROM control.users u JOIN control.members m ON m.user_id = u.id "
        "WHERE u.email = $1",
        {email});
    bool matches = false;
    if (row)
        matches = verify_password(password, (*row)["hash"].get<std::string>());
    else
        burn_password_time(password);
    if (!matches)
        refuse_authentication(failures, call.request, "invalid_credentials",
                              "wrong e-mail address or password; check both, or ask an admin of your "
                              "organization to set a new password");
    call.caller.user_id = (*row)["id"].get<std::string>();
    call.caller.organization_id = (*row)["organization_id"].get<std::string>();
    call.caller.scope = (*row)["scope"].get<std::string>();
    call.audit("session.create", "user", call.caller.user_id);
    return signed_in(call, 201);
}

HttpResponse get_session(ApiCall &call)
{
    if (call.caller.session_id.empty())
        throw ApiError(404, "not_found", "no session: this request used an API token, not a sign-in cookie");
    return session_answer(call, 200);
}

HttpResponse delete_session(ApiCall &call)
{
    if (call.caller.session_id.empty())
        throw ApiError(404, "not_found", "no session: this request used an API token, not a sign-in cookie");
    call.store.exec("DELETE FROM control.sessions WHERE id = $1", {call.caller.session_id});
    HttpResponse response;
    response.status = 204;
    response.headers.push_back({"Set-Cookie", session_cookie(call.request, "", 0)});
    return response;
}

}  // namespace shale
