// session_auth.h — sign-in sessions of the portal: the HttpOnly, SameSite=Strict
// cookie that carries a session's secret (only its SHA-256 is stored), the CSRF
// token that every cookie-authenticated change must send back in a header, and
// the 401 answer (counted by the failed-authentication limiter).
#pragma once

#include <string>

#include "control_plane/api_call.h"

namespace shale {

class RateLimiter;

inline constexpr const char *kSessionCookie = "shale_session";
inline constexpr const char *kCsrfHeader = "x-csrf-token";
inline constexpr int kSessionSeconds = 12 * 3600;

// cookie_value returns the value of cookie name in the request's Cookie header, "" when absent.
std::string cookie_value(const HttpRequest &request, const std::string &name);

// csrf_token_for derives a session's CSRF token from its secret: the page gets
// it from the sign-in answer (or GET /v1/session), a cross-site form cannot.
std::string csrf_token_for(const std::string &session_secret);

// session_cookie is the Set-Cookie value for a session secret; Secure when the
// request came over HTTPS (a TLS proxy in front sends X-Forwarded-Proto: https).
// An empty secret and max_age 0 clear the cookie.
std::string session_cookie(const HttpRequest &request, const std::string &secret, int max_age_s);

// refuse_authentication throws 401 with code and message, or 429 once the
// client's address has failed too often (limiter keyed by address).
[[noreturn]] void refuse_authentication(RateLimiter &limiter, const HttpRequest &request, const std::string &code,
                                        const std::string &message);

// start_session inserts a session of the caller (user or token) and returns its
// secret, for the cookie; sets call.caller's session and CSRF fields.
std::string start_session(ApiCall &call);

}  // namespace shale
