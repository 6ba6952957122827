// api_error.h — the error answers of the control plane's /v1 API: an HTTP
// status and a JSON body {code, message, field?}. Handlers throw ApiError for
// anything the client did wrong; only bugs end as a 500.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace shale {

struct ApiError : std::runtime_error {
    ApiError(int status, std::string code, const std::string &message, std::string field = "")
        : std::runtime_error(message), status(status), code(std::move(code)), field(std::move(field))
    {
    }
    int status;
    std::string code;   // machine-readable: "not_found", "invalid_field", "plan_limit", ...
    std::string field;  // the request field at fault, "" when none
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After
};

// api_error_body renders {code, message, field?} as JSON text.
std::string api_error_body(int status, const std::string &code, const std::string &message,
                           const std::string &field = "");

// code_for_status is the default error code for an HTTP status.
std::string code_for_status(int status);

}  // namespace shale
