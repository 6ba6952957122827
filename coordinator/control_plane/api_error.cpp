// api_error.cpp — the JSON body of error answers.
#include "control_plane/api_error.h"

#include <nlohmann/json.hpp>

namespace shale {

std::string code_for_status(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 422: return "invalid_field";
    case 429: return "rate_limited";
    case 431: return "headers_too_large";
    default: return status >= 500 ? "internal_error" : "bad_request";
    }
}

std::string api_error_body(int status, const std::string &code, const std::string &message, const std::string &field)
{
    nlohmann::json body{{"code", code.empty() ? code_for_status(status) : code}, {"message", message}};
    if (!field.empty())
        body["field"] = field;
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace shale
