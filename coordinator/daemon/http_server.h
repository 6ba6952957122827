// http_server.h — shaled's small HTTP/1.1 server (Boost.Beast over Asio). It
// listens on 127.0.0.1 only, runs on its own thread, and hands each complete
// request to a handler that knows nothing about Beast (see http_routes.h). The
// server enforces limits so that a bad client cannot hurt the daemon: header
// and body sizes, a read/write time-out, and a cap on open connections.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/logger.h"

namespace shale {

// HttpRequest is the part of a request the routes look at.
struct HttpRequest {
    HttpRequest(std::string method, std::string target, std::string host = "127.0.0.1", std::string origin = "")
        : method(std::move(method)), target(std::move(target)), host(std::move(host)), origin(std::move(origin))
    {
    }

    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query, e.g. "/v1/events?since=3"
    std::string host;    // Host header ("" when absent)
    std::string origin;  // Origin header, sent by browsers ("" when absent)
};

// HttpResponse is what a route answers; the server adds Content-Length, Server
// and Connection headers.
struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string allow;  // value of an Allow header (for 405), empty for none
};

using HttpHandler = std::function<HttpResponse(const HttpRequest &)>;

class HttpServer {
public:
    HttpServer(int port, HttpHandler handler, Logger &logger);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    // start starts the server thread, which listens on 127.0.0.1:port. When
    // the port is taken (say by the active shaled, for a standby started with
    // the same config) it logs a warning and retries every 2 s, so the daemon's
    // real work never depends on the API.
    void start();
    // stop closes the listening socket and every connection, and joins the
    // thread. Safe to call twice.
    void stop();

private:
    struct Impl;  // the Asio/Beast state, kept out of this header
    std::unique_ptr<Impl> impl_;
    std::thread thread_;
};

}  // namespace shale
