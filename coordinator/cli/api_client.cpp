// api_client.cpp — credentials and JSON calls to the control plane's API.
#include "cli/api_client.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/cli_error.h"
#include "http/http_client.h"

namespace shale {

namespace fs = std::filesystem;

std::string credentials_path()
{
    const char *configured = std::getenv("SHALE_CREDENTIALS");
    if (configured != nullptr && *configured != '\0')
        return configured;
    const char *home = std::getenv("HOME");
    return std::string(home != nullptr ? home : ".") + "/.config/shale/credentials.json";
}

ApiCredentials load_credentials()
{
    ApiCredentials credentials;
    std::ifstream in(credentials_path());
    if (in) {
        auto saved = nlohmann::json::parse(in, nullptr, false);
        if (saved.is_object()) {
            credentials.api_url = saved.value("api_url", "");
            credentials.token = saved.value("token", "");
        }
    }
    if (const char *url = std::getenv("SHALE_API_URL"); url != nullptr && *url != '\0')
        credentials.api_url = url;
    if (const char *token = std::getenv("SHALE_TOKEN"); token != nullptr && *token != '\0')
        credentials.token = token;
    if (credentials.api_url.empty() || credentials.token.empty())
        throw CliError("no API credentials: set SHALE_API_URL and SHALE_TOKEN, or run `shale login --api URL`",
                       kExitUsage);
    while (!credentials.api_url.empty() && credentials.api_url.back() == '/')
        credentials.api_url.pop_back();
    return credentials;
}

void save_credentials(const ApiCredentials &credentials)
{
    std::string path = credentials_path();
    fs::create_directories(fs::path(path).parent_path());
    std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        chmod(temporary.c_str(), 0600);
        out << nlohmann::json{{"api_url", credentials.api_url}, {"token", credentials.token}}.dump(2) << "\n";
        if (!out)
            throw CliError("cannot write " + temporary);
    }
    fs::rename(temporary, path);
}

ApiAnswer api_request(const ApiCredentials &credentials, const std::string &method, const std::string &target,
                      const nlohmann::json &body, const std::string &idempotency_key)
{
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + credentials.token},
                                               {"Accept", "application/json"}};
    if (!idempotency_key.empty())
        headers["Idempotency-Key"] = idempotency_key;
    HttpClientResponse response;
    try {
        response = http_call(method, credentials.api_url, target, body.is_null() ? "" : body.dump(), headers);
    } catch (const std::exception &error) {
        throw CliError(std::string("cannot reach the API: ") + error.what(), kExitFailure);
    }
    ApiAnswer answer;
    answer.status = response.status;
    answer.body = response.body.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(response.body, nullptr, false);
    if (response.status >= 200 && response.status < 300)
        return answer;
    std::string message = answer.body.is_object() ? answer.body.value("message", response.body) : response.body;
    std::string error_code = answer.body.is_object() ? answer.body.value("code", "") : "";
    int code = response.status == 401 || (response.status == 403 && error_code != "plan_limit") ? kExitAuth
               : response.status == 404                                                       ? kExitNotFound
                                                                                              : kExitFailure;
    throw CliError(message + " (HTTP " + std::to_string(response.status) + ")", code);
}

}  // namespace shale
