// http_server.h — the small HTTP/1.1 server of shaled and `shale serve`
// (Boost.Beast over Asio). It listens on one local address (127.0.0.1 by
// default), runs on its own thread, and hands each complete
// request to a handler that knows nothing about Beast (see http_routes.h). The
// server enforces limits so that a bad client cannot hurt the daemon: header
// and body sizes, a read/write time-out, and a cap on open connections.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>
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
    std::string body;    // request body ("" when none)
    std::map<std::string, std::string> headers;  // every header, names in lower case
    std::string remote_address;                  // the client's IP address

    // header returns the value of a header (name in lower case), "" when absent.
    std::string header(const std::string &name) const
    {
        auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
};

// HttpResponse is what a route answers; the server adds Content-Length, Server
// and Connection headers.
struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string allow;  // value of an Allow header (for 405), empty for none
    std::vector<std::pair<std::string, std::string>> headers;  // more headers (Retry-After, Location, ...)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest &)>;

// HttpServerOptions says where the server listens and how it answers what it
// refuses itself (malformed requests, handler failures).
struct HttpServerOptions {
    int port = 0;
    std::string bind_address = "127.0.0.1";  // an IPv4 address
    std::string server_name = "shaled";      // the Server header
    std::size_t max_body_bytes = 8 * 1024;
    // retry_listen: when the port is taken, retry every 2 s (shaled) instead
    // of failing start() (shale serve)
    bool retry_listen = true;
    // error_body makes the JSON body of an error the server answers itself
    // from an HTTP status and a message; default {"error": message}
    std::function<std::string(int status, const std::string &message)> error_body;
    // threads that serve requests: 1 (shaled) answers one request at a time;
    // more serve connections in parallel, so the handler must be thread-safe
    int threads = 1;
    // HTTPS: a PEM certificate (chain) and its private key; when set, the server
    // speaks TLS only (a plain HTTP client fails the handshake and is closed)
    std::string tls_certificate_file;
    std::string tls_key_file;
};

class HttpServer {
public:
    HttpServer(int port, HttpHandler handler, Logger &logger);
    HttpServer(HttpServerOptions options, HttpHandler handler, Logger &logger);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    // start starts the server thread, which listens on bind_address:port. When
    // the port is taken (say by the active shaled, for a standby started with
    // the same config) it logs a warning and retries every 2 s, so the daemon's
    // real work never depends on the API; without retry_listen it throws.
    void start();
    // stop closes the listening socket and every connection, and joins the
    // threads. Safe to call twice.
    void stop();

private:
    struct Impl;  // the Asio/Beast state, kept out of this header
    std::unique_ptr<Impl> impl_;
    std::vector<std::thread> threads_;
};

}  // namespace shale
