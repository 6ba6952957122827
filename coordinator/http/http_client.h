// http_client.h — a small blocking HTTP/1.1 client (Boost.Beast) for the CLI's
// API commands and for `shale serve` reading a database's shaled API. Plain
// http:// URLs only; every call has a time-out.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace shale {

struct HttpClientResponse {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
};

// http_call sends one request to base_url + target (base_url like
// "http://127.0.0.1:8080") and returns the answer; throws std::runtime_error
// when the server cannot be reached or does not answer in time.
HttpClientResponse http_call(const std::string &method, const std::string &base_url, const std::string &target,
                             const std::string &body = "",
                             const std::map<std::string, std::string> &headers = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace shale
