// http_client.h — a small blocking HTTP/1.1 client (Boost.Beast) for the CLI's
// API commands, `shale serve` reading a database's shaled API, and the calls of
// `shale up` and shaled to the agents of the hosts (HTTPS, the agent's
// certificate pinned by its SHA-256 fingerprint). Every call has a time-out.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace shale {

struct HttpClientResponse {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string peer_fingerprint;                // https: SHA-256 of the server's certificate (hex)
};

// HttpClientTls says which server certificate an https:// call accepts: the one
// whose SHA-256 fingerprint is pinned_fingerprint; with an empty pin, any
// certificate (first contact: the caller records peer_fingerprint and pins it
// from then on, as ssh does with host keys).
struct HttpClientTls {
    std::string pinned_fingerprint;
};

// http_call sends one request to base_url + target (base_url like
// "http://127.0.0.1:8080", or "https://HOST:PORT" with tls given) and returns
// the answer; throws std::runtime_error when the server cannot be reached,
// does not answer in time, or (https) shows another certificate than the pinned one.
HttpClientResponse http_call(const std::string &method, const std::string &base_url, const std::string &target,
                             const std::string &body = "",
                             const std::map<std::string, std::string> &headers = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(30),
                             const HttpClientTls *tls = nullptr);

}  // namespace shale
