// api_call.cpp — field checks, JSON answers and audit records for handlers.
#include "control_plane/api_call.h"

namespace shale {

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
    store.exec("INSERT INTO control.audit_log (organization_id, token_id, action, target_type, target_id, "
               "remote_address, details) VALUES ($1, NULLIF($2, ''), $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7::jsonb)",
               {caller.organization_id, caller.token_id, action, target_type, target_id, request.remote_address,
                details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
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
    const auto &value = body[name];
    if (!value.is_number_integer() || value.get<long long>() < low || value.get<long long>() > high)
        throw ApiError(422, "invalid_field",
                       "the field \"" + name + "\" must be an integer from " + std::to_string(low) + " to " +
                           std::to_string(high),
                       name);
    return value.get<int>();
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
    bool digits = !text.empty() && text.size() <= 9 &&
                  text.find_first_not_of("0123456789") == std::string::npos;
    int value = digits ? std::stoi(text) : -1;
    if (!digits || value < low || value > high)
        throw ApiError(400, "invalid_parameter",
                       "the query parameter \"" + name + "\" must be an integer from " + std::to_string(low) +
                           " to " + std::to_string(high),
                       name);
    return value;
}

}  // namespace shale
