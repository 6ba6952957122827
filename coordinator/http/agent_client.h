// agent_client.h — calls to the `shale agent` of a host (docs/multi-host.md):
// HTTPS with the agent's certificate pinned, the cluster's agent token as a
// bearer token, JSON in and out. Used by `shale up`, `shale status`, `shale
// down` and shaled (fencing, rejoins, leases).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace shale {

// AgentError is a failed agent call: unreachable (status 0) or an error answer.
class AgentError : public std::runtime_error {
public:
    AgentError(const std::string &message, int status) : std::runtime_error(message), status(status) {}
    int status;
};

class AgentClient {
public:
    // endpoint is "ADDR:PORT"; fingerprint the pinned SHA-256 of its
    // certificate ("" on first contact: see seen_fingerprint).
    AgentClient(std::string endpoint, std::string token, std::string fingerprint)
        : endpoint_(std::move(endpoint)), token_(std::move(token)), fingerprint_(std::move(fingerprint))
    {
    }

    // call sends one request and returns the JSON answer of a 2xx; throws AgentError otherwise.
    nlohmann::json call(const std::string &method, const std::string &target,
                        const nlohmann::json &body = nlohmann::json(),
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // seen_fingerprint is the certificate fingerprint of the last answer.
    const std::string &seen_fingerprint() const { return seen_fingerprint_; }
    const std::string &endpoint() const { return endpoint_; }

private:
    std::string endpoint_;
    std::string token_;
    std::string fingerprint_;
    std::string seen_fingerprint_;
};

// read_agent_token reads the token from a file (first line, surrounding space
// dropped); throws std::runtime_error when it is missing, too short or
// readable by others.
std::string read_agent_token(const std::string &path);

}  // namespace shale
