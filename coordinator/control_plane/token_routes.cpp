// token_routes.cpp — API tokens of the caller's organization: create (scope,
// expiry; the secret is in the answer once and stored only as its SHA-256),
// list, revoke.
#include "control_plane/api_handlers.h"
#include "common/secrets.h"

namespace shale {

const char *const kTokenJson =
    "jsonb_build_object('id', t.id, 'name', t.name, 'scope', t.scope, 'prefix', t.prefix, "
    "'created_at', control.iso(t.created_at), 'expires_at', control.iso(t.expires_at), "
    "'revoked_at', control.iso(t.revoked_at), 'last_used_at', control.iso(t.last_used_at))";

HttpResponse post_token(ApiCall &call)
{
    call.reject_unknown_fields({"name", "scope", "expires_in_seconds"});
    auto name = call.string_field("name", true);
    if (name->empty() || name->size() > 100)
        throw ApiError(422, "invalid_field", "the token name must have 1 to 100 characters", "name");
    std::string scope = call.string_field("scope").value_or("write");
    if (scope != "admin" && scope != "write" && scope != "read")
        throw ApiError(422, "invalid_field", "scope must be admin, write or read", "scope");
    auto expires_in = call.integer_field("expires_in_seconds", 1, 400 * 24 * 3600);
    std::string secret = new_api_token();
    std::string id = new_id("tok");
    auto token = call.store.json_row(
        std::string("INSERT INTO control.tokens AS t (id, organization_id, name, scope, token_hash, prefix, "
                    "created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), "
                    "CASE WHEN $8 = '' THEN NULL ELSE now() + ($8 || ' seconds')::interval END) RETURNING ") +
            kTokenJson,
        {id, call.caller.organization_id, *name, scope, sha256_hex(secret), secret.substr(0, 12),
         call.caller.token_id, expires_in ? std::to_string(*expires_in) : ""});
    call.audit("token.create", "token", id, {{"name", *name}, {"scope", scope}});
    return json_response(201, {{"token", *token}, {"secret", secret}});
}

HttpResponse list_tokens(ApiCall &call)
{
    auto tokens = call.store.json_rows(std::string("SELECT ") + kTokenJson +
                                           " FROM control.tokens t WHERE t.organization_id = $1 ORDER BY t.created_at",
                                       {call.caller.organization_id});
    return json_response(200, {{"tokens", tokens}});
}

HttpResponse delete_token(ApiCall &call)
{
    auto token = call.store.json_row(
        std::string("UPDATE control.tokens t SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND "
                    "organization_id = $2 RETURNING ") + kTokenJson,
        {call.params["id"], call.caller.organization_id});
    if (!token)
        throw ApiError(404, "not_found", "no token " + call.params["id"] + " in this organization");
    call.audit("token.revoke", "token", call.params["id"]);
    return json_response(200, {{"token", *token}});
}

}  // namespace shale
