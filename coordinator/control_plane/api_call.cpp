// api_call.cpp — field checks, JSON answers and audit records for handlers.
#include "control_plane/api_call.h"

#include <cmath>

namespace shale {

std::optional<long long> whole_number(const nlohmann::json &value)
{
    if (value.is_number_integer() && std::llabs(value.get<long long>()) < 1000000000000000LL)
        return value.get<long long>();
    if (value.is_number_float()) {
        double number = value.get<double>();
        if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 1e15)
            return static_cast<long long>(number);
    }
    return std::nullopt;
}

HttpResponse json_response(int status, const nlohmann::json &document)
{
    HttpResponse response;
    response.status = status;
    response.body = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return response;
}

void ApiCall::audit(const std::string &action, const std::string &target_type, const std::string &target_id,
                    const nlohmann::json &details)
{
    store.exec("INSERT INTO control.audit_log (organization_id, token_id, user_id, action, target_type, target_id, "
               "remote_address, details) VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), $4, $5, NULLIF($6, ''), "
               "NULLIF($7, ''), $8::jsonb)",
               {caller.organization_id, caller.token_id, caller.user_id, action, target_type, target_id,
                request.remote_address, details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

std::optional<std::string> ApiCall::string_field(const std::string &name, bool required) const
{
    if (!body.contains(name) || body[name].is_null()) {
        if (required)
            throw ApiError(422, "missing_field", "the field \"" + name + "\" is required", name);
        return std::nullopt;
    }
    if (!body[name].is_string())
        throw ApiError(422, "invalid_field", "the field \"" + name + "\" must be a string", name);
    return body[name].get<std::string>();
}

std::optional<int> ApiCall::integer_field(const std::string &name, int low, int high) const
{
    if (!body.contains(name) || body[name].is_null())
        return std::nullopt;
    auto number = whole_number(body[name]);
    if (!number || *number < low || *number > high)
        throw ApiError(422, "invalid_field",
                       "the field \"" + name + "\" must be an integer from " + std::to_string(low) + " to " +
                           std::to_string(high),
                       name);
    return static_cast<int>(*number);
}

void ApiCall::reject_unknown_fields(std::initializer_list<const char *> allowed) const
{
    for (const auto &item : body.items()) {
        bool known = false;
        for (const char *name : allowed)
            known = known || item.key() == name;
        if (!known)
            throw ApiError(422, "unknown_field", "unknown field \"" + item.key() + "\"", item.key());
    }
}

int ApiCall::integer_query(const std::string &name, int fallback, int low, int high) const
{
    auto found = query.find(name);
    if (found == query.end())
        return fallback;
    const std::string &text = found->second;
    bool digits = !text.empty() && text.size() <= 12 &&
                  text.find_first_not_of("0123456789") == std::string::npos;
    long long value = digits ? std::stoll(text) : -1;
    if (!digits || value < low || value > high)
        throw ApiError(400, "invalid_parameter",
                       "the query parameter \"" + name + "\" must be an integer from " + std::to_string(low) +
                           " to " + std::to_string(high),
                       name);
    return static_cast<int>(value);
}

}  // namespace shale
