// api_client.h — how the CLI's API commands (db, role, token, login) reach
// `shale serve`: the API address and token from SHALE_API_URL and SHALE_TOKEN,
// else from the credentials file `shale login` writes
// ($SHALE_CREDENTIALS, default ~/.config/shale/credentials.json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shale {

// Exit codes of the API commands (docs/control-plane.md).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;    // the API refused (a plan limit too), an operation failed, or serve is unreachable
constexpr int kExitUsage = 2;
constexpr int kExitAuth = 3;       // 401, or 403 for the token's scope
constexpr int kExitNotFound = 4;   // 404

struct ApiCredentials {
    std::string api_url;  // e.g. http://127.0.0.1:8420
    std::string token;
};

std::string credentials_path();
// load_credentials reads the environment, then the file; throws CliError (2)
// when neither names an API and a token.
ApiCredentials load_credentials();
void save_credentials(const ApiCredentials &credentials);

// ApiAnswer is a decoded answer: status and JSON body (null when empty).
struct ApiAnswer {
    int status = 0;
    nlohmann::json body;
};

// api_request calls the API; throws CliError with the API's message and the
// exit code for its status when the answer is not 2xx.
ApiAnswer api_request(const ApiCredentials &credentials, const std::string &method, const std::string &target,
                      const nlohmann::json &body = nullptr, const std::string &idempotency_key = "");

}  // namespace shale
