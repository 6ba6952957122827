// agent_client.cpp — JSON calls to a host's agent over pinned HTTPS.
#include "http/agent_client.h"

#include <sys/stat.h>

#include <fstream>

#include "http/http_client.h"

namespace shale {

nlohmann::json AgentClient::call(const std::string &method, const std::string &target, const nlohmann::json &body,
                                 std::chrono::milliseconds timeout)
{
    HttpClientTls tls{fingerprint_};
    HttpClientResponse answer;
    try {
        answer = http_call(method, "https://" + endpoint_, target, body.is_null() ? "" : body.dump(),
                           {{"Authorization", "Bearer " + token_}}, timeout, &tls);
    } catch (const std::exception &error) {
        throw AgentError("agent " + endpoint_ + ": " + error.what(), 0);
    }
    seen_fingerprint_ = answer.peer_fingerprint;
    nlohmann::json document = nlohmann::json::parse(answer.body, nullptr, false);
    if (answer.status >= 200 && answer.status < 300)
        return document.is_discarded() ? nlohmann::json::object() : document;
    std::string message = document.is_object() && document.contains("error") && document["error"].is_string()
                              ? document["error"].get<std::string>()
                              : answer.body;
    throw AgentError("agent " + endpoint_ + " (" + method + " " + target + "): " + message, answer.status);
}

std::string read_agent_token(const std::string &path)
{
    struct stat info;
    if (stat(path.c_str(), &info) != 0)
        throw std::runtime_error("agent token file " + path + " does not exist");
    if ((info.st_mode & 077) != 0)
        throw std::runtime_error("agent token file " + path + " is readable by others; chmod 600 " + path);
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\r' || token.back() == '\t'))
        token.pop_back();
    while (!token.empty() && token.front() == ' ')
        token.erase(token.begin());
    if (token.size() < 16)
        throw std::runtime_error("agent token in " + path + " is shorter than 16 characters");
    return token;
}

}  // namespace shale
