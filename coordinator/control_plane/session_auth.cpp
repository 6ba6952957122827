// session_auth.cpp — cookies, CSRF tokens and sessions of the portal's sign-in.
#include "control_plane/session_auth.h"

#include <sstream>

#include "control_plane/rate_limiter.h"
#include "common/secrets.h"

namespace shale {

std::string cookie_value(const HttpRequest &request, const std::string &name)
{
    std::stringstream cookies(request.header("cookie"));
    std::string pair;
    while (std::getline(cookies, pair, ';')) {
        size_t start = pair.find_first_not_of(' ');
        size_t equals = pair.find('=');
        if (start == std::string::npos || equals == std::string::npos)
            continue;
        if (pair.substr(start, equals - start) == name)
            return pair.substr(equals + 1);
    }
    return "";
}

std::string csrf_token_for(const std::string &session_secret)
{
    return sha256_hex("csrf:" + session_secret);
}

std::string session_cookie(const HttpRequest &request, const std::string &secret, int max_age_s)
{
    bool https = request.header("x-forwarded-proto") == "https";
    return std::string(kSessionCookie) + "=" + secret + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(max_age_s) + (https ? "; Secure" : "");
}

void refuse_authentication(RateLimiter &limiter, const HttpRequest &request, const std::string &code,
                           const std::string &message)
{
    int retry_after = 0;
    if (!limiter.take("failure:" + request.remote_address, &retry_after)) {
        ApiError limited(429, "rate_limited", "too many failed authentications from this address; retry in " +
                                                  std::to_string(retry_after) + " s");
        limited.headers.push_back({"Retry-After", std::to_string(retry_after)});
        throw limited;
    }
    ApiError unauthorized(401, code, message);
    unauthorized.headers.push_back({"WWW-Authenticate", "Bearer"});
    throw unauthorized;
}

std::string start_session(ApiCall &call)
{
    std::string secret = "shs_" + random_hex(32);
    std::string id = new_id("ses");
    call.store.exec("INSERT INTO control.sessions (id, session_hash, organization_id, user_id, token_id, "
                    "remote_address, expires_at) VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, ''), "
                    "now() + ($7 || ' seconds')::interval)",
                    {id, sha256_hex(secret), call.caller.organization_id, call.caller.user_id, call.caller.token_id,
                     call.request.remote_address, std::to_string(kSessionSeconds)});
    call.caller.session_id = id;
    call.caller.csrf_token = csrf_token_for(secret);
    return secret;
}

}  // namespace shale
