// http_server.cpp — the Beast/Asio side of the HTTP server of shaled and
// `shale serve`: one io_context driven by one thread, an acceptor on a local
// address, and one session object per
// connection that reads a request, calls the handler and writes the answer,
// keeping the connection open when the client asks for it.
//
// Threads: shaled uses one (its routes make short queries to the router with
// one libpq connection, so requests are served one after the other anyway;
// asynchronous I/O still lets a slow or silent client wait without holding up
// the others, and the time-outs below close it). shale serve uses several, so
// that a request that waits for a database does not hold up the rest: each
// connection has a strand, the acceptor another.
#include "http/http_server.h"

#include <fcntl.h>

#include <cctype>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace shale {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Limits: our requests are a request line, a few headers and a small JSON
// body. Anything much larger is a mistake or an attack, and is refused before
// it costs memory (the body limit is HttpServerOptions::max_body_bytes).
constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr int kMaxOpenConnections = 32;
constexpr auto kListenRetry = std::chrono::seconds(2);

// default_error_body is the JSON body of an error answer made by the server
// itself, unless the options give another shape.
std::string default_error_body(int, const std::string &message)
{
    return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// set_close_on_exec keeps a socket out of the programs our children run:
// shaled and shale serve start pg_ctl and shale up, and a server that
// inherited the listening socket would hold the API's port after we exit.
void set_close_on_exec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// lower_case returns text with ASCII letters in lower case (header names).
std::string lower_case(std::string text)
{
    for (auto &c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// HttpSession serves one TCP connection: read a request, answer, repeat while
// keep-alive; it owns itself through shared_from_this while an operation is
// pending, so it disappears when the connection is closed. Stream is a plain
// beast::tcp_stream or a TlsStream (HTTPS: a handshake comes first).
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    template <class... StreamArguments>
    HttpSession(const HttpServerOptions &options, const HttpHandler &handler, Logger &logger,
                std::atomic<int> &open_count, StreamArguments &&...stream_arguments)
        : stream_(std::forward<StreamArguments>(stream_arguments)...),
          buffer_(kMaxHeaderBytes + options.max_body_bytes), options_(options), handler_(handler), logger_(logger),
          open_count_(open_count)
    {
        open_count_++;
    }
    ~HttpSession() { open_count_--; }

    void run()
    {
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            beast::get_lowest_layer(stream_).expires_after(kIoTimeout);
            stream_.async_handshake(net::ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code error) {
                                        if (error) {
                                            // a client without TLS, or one that failed to verify us
                                            self->logger_.debug("https: handshake refused: " + error.message());
                                            self->close();
                                            return;
                                        }
                                        self->read_request();
                                    });
        } else {
            read_request();
        }
    }

private:
    // read_request starts reading the next request with a fresh parser (a
    // parser serves exactly one message) and the size limits set.
    void read_request()
    {
        parser_.emplace();
        parser_->header_limit(kMaxHeaderBytes);
        parser_->body_limit(options_.max_body_bytes);
        beast::get_lowest_layer(stream_).expires_after(kIoTimeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
    }

    // on_read answers a complete request, or a 4xx for one Beast could not
    // parse; I/O errors, time-outs and a closed connection just end the session.
    void on_read(beast::error_code error)
    {
        const auto &parse_errors = beast::error_code(http::error::end_of_stream).category();
        if (error && (error == http::error::end_of_stream || error.category() != parse_errors)) {
            // not a parse error (a closed connection, a time-out): nobody to answer
            close();
            return;
        }
        if (error) {
            int status = 400;
            if (error == http::error::header_limit)
                status = 431;
            else if (error == http::error::body_limit || error == http::error::buffer_overflow)
                status = 413;
            logger_.debug("http: refused a malformed request: " + error.message());
            HttpResponse answer;
            answer.status = status;
            answer.body = options_.error_body(status, "malformed request: " + error.message());
            write_response(answer, false);
            return;
        }
        const auto &request = parser_->get();
        HttpRequest simple(std::string(request.method_string()), std::string(request.target()),
                           std::string(request[http::field::host]), std::string(request[http::field::origin]));
        simple.body = request.body();
        for (const auto &field : request)
            simple.headers[lower_case(std::string(field.name_string()))] = std::string(field.value());
        beast::error_code address_error;
        auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(address_error);
        if (!address_error)
            simple.remote_address = remote.address().to_string();
        HttpResponse answer;
        try {
            answer = handler_(simple);
        } catch (const std::exception &failure) {
            logger_.error(std::string("http: ") + simple.method + " " + simple.target + " failed: " + failure.what());
            answer.status = 500;
            answer.content_type = "application/json";
            answer.body = options_.error_body(500, std::string("internal error: ") + failure.what());
        }
        logger_.debug("http: " + simple.method + " " + simple.target + " -> " + std::to_string(answer.status));
        write_response(answer, request.keep_alive());
    }

    // write_response sends one answer, then reads the next request or closes.
    void write_response(const HttpResponse &answer, bool keep_alive)
    {
        response_ = {};
        response_.version(11);
        response_.result(static_cast<unsigned>(answer.status));
        response_.set(http::field::server, options_.server_name);
        response_.set(http::field::content_type, answer.content_type);
        response_.set(http::field::cache_control, "no-store");
        if (!answer.allow.empty())
            response_.set(http::field::allow, answer.allow);
        for (const auto &header : answer.headers)
            response_.set(header.first, header.second);
        response_.body() = answer.body;
        response_.keep_alive(keep_alive);
        response_.prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(kIoTimeout);
        http::async_write(stream_, response_,
                          [self = this->shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
                              if (error || !keep_alive)
                                  self->close();
                              else
                                  self->read_request();
                          });
    }

    // close sends FIN and lets the session be destroyed when the last handler returns.
    void close()
    {
        beast::error_code ignored;
        auto &lowest = beast::get_lowest_layer(stream_);
        lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest.close();
    }

    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    const HttpServerOptions &options_;
    const HttpHandler &handler_;
    Logger &logger_;
    std::atomic<int> &open_count_;
};

}  // namespace

struct HttpServer::Impl {
    Impl(HttpServerOptions options_given, HttpHandler handler, Logger &logger)
        : options(std::move(options_given)), port(options.port), handler(std::move(handler)), logger(logger),
          tls(net::ssl::context::tls_server), io(std::max(1, options.threads)), accept_strand(net::make_strand(io)),
          acceptor(accept_strand), retry_timer(accept_strand), accept_backoff(accept_strand)
    {
        if (!options.error_body)
            options.error_body = default_error_body;
        if (!options.tls_certificate_file.empty()) {
            // TLS 1.2 or later only; the certificate and key are PEM files
            tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                            net::ssl::context::no_tlsv1_1);
            tls.use_certificate_chain_file(options.tls_certificate_file);
            tls.use_private_key_file(options.tls_key_file, net::ssl::context::pem);
        }
    }

    bool https() const { return !options.tls_certificate_file.empty(); }
    std::string scheme() const { return https() ? "https://" : "http://"; }

    std::string address() const { return options.bind_address + ":" + std::to_string(port); }

    // try_listen opens, binds and listens on bind_address:port; on failure it
    // leaves the acceptor closed and describes the error in *error.
    bool try_listen(std::string *error)
    {
        beast::error_code code;
        auto bind_address = net::ip::make_address_v4(options.bind_address, code);
        if (code) {
            *error = "bad bind address " + options.bind_address;
            return false;
        }
        tcp::endpoint endpoint(bind_address, static_cast<unsigned short>(port));
        acceptor.open(endpoint.protocol(), code);
        if (!code)
            set_close_on_exec(acceptor.native_handle());
        if (!code)
            acceptor.set_option(net::socket_base::reuse_address(true), code);
        if (!code)
            acceptor.bind(endpoint, code);
        if (!code)
            acceptor.listen(net::socket_base::max_listen_connections, code);
        if (!code)
            return true;
        *error = code.message();
        beast::error_code ignored;
        acceptor.close(ignored);
        return false;
    }

    // listen_or_retry starts serving when the port can be bound, else tries
    // again every kListenRetry. A standby shaled started with the same config
    // as the active one thus takes the cluster's API port over as soon as the
    // active one dies and frees it.
    void listen_or_retry()
    {
        std::string error;
        if (try_listen(&error)) {
            logger.info("HTTP API listening on " + scheme() + address());
            accept_next();
            return;
        }
        if (error != last_listen_error)
            logger.warn("HTTP API: cannot listen on " + address() + ": " + error +
                        "; retrying every " + std::to_string(kListenRetry.count()) + " s");
        last_listen_error = error;
        retry_timer.expires_after(kListenRetry);
        retry_timer.async_wait([this](beast::error_code code) {
            if (!code && !stopping)
                listen_or_retry();
        });
    }

    // accept_next waits for the next connection (one thread runs the io_context,
    // so no strand is needed); connections above the cap
    // are closed at once so a flood of clients cannot exhaust descriptors.
    void accept_next()
    {
        // each connection gets a strand of its own: its handlers never run at once,
        // while several connections are served in parallel when threads > 1
        acceptor.async_accept(net::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
            if (error == net::error::operation_aborted || !acceptor.is_open())
                return;
            if (!error) {
                set_close_on_exec(socket.native_handle());
                if (open_count.load() >= kMaxOpenConnections) {
                    // debug, not warn: a flood of connections must not flood the log too
                    logger.debug("http: too many open connections; closing a new one");
                    beast::error_code ignored;
                    socket.close(ignored);
                } else if (https()) {
                    std::make_shared<HttpSession<TlsStream>>(options, handler, logger, open_count, std::move(socket),
                                                             tls)
                        ->run();
                } else {
                    std::make_shared<HttpSession<beast::tcp_stream>>(options, handler, logger, open_count,
                                                                     std::move(socket))
                        ->run();
                }
                accept_next();
                return;
            }
            // e.g. out of file descriptors: back off instead of spinning
            logger.warn("http: accept failed: " + error.message() + "; retrying in 100 ms");
            accept_backoff.expires_after(std::chrono::milliseconds(100));
            accept_backoff.async_wait([this](beast::error_code code) {
                if (!code && !stopping)
                    accept_next();
            });
        });
    }

    // Order matters for destruction: the io_context destroys the sessions still
    // queued in it, and they use handler and open_count, declared before it.
    HttpServerOptions options;
    int port;
    HttpHandler handler;
    Logger &logger;
    std::atomic<int> open_count{0};
    net::ssl::context tls;  // used when options.tls_certificate_file is set; sessions refer to it
    net::io_context io;
    // the acceptor and its timers are used from one strand (stop() posts there too)
    net::strand<net::io_context::executor_type> accept_strand;
    tcp::acceptor acceptor;
    net::steady_timer retry_timer;
    net::steady_timer accept_backoff;
    std::string last_listen_error;
    std::atomic<bool> stopping{false};
};

HttpServer::HttpServer(int port, HttpHandler handler, Logger &logger)
    : HttpServer(HttpServerOptions{port, "127.0.0.1", "shaled", 8 * 1024, true, nullptr, 1, "", ""}, std::move(handler),
                 logger)
{
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, Logger &logger)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), logger))
{
}

HttpServer::~HttpServer()
{
    stop();
}

void HttpServer::start()
{
    Impl *impl = impl_.get();
    if (impl->options.retry_listen) {
        net::post(impl->accept_strand, [impl]() { impl->listen_or_retry(); });
    } else {
        std::string error;
        if (!impl->try_listen(&error))
            throw std::runtime_error("cannot listen on " + impl->address() + ": " + error);
        impl->logger.info("HTTP API listening on " + impl->scheme() + impl->address());
        net::post(impl->accept_strand, [impl]() { impl->accept_next(); });
    }
    for (int index = 0; index < std::max(1, impl->options.threads); index++)
        threads_.emplace_back([impl]() {
        // run returns only when stopped; a throwing handler is caught inside the
        // session, so an exception here is a bug worth logging, not a crash
            while (!impl->io.stopped()) {
                try {
                    impl->io.run();
                } catch (const std::exception &error) {
                    impl->logger.error(std::string("http: server loop: ") + error.what());
                }
            }
        });
}

void HttpServer::stop()
{
    if (!impl_)
        return;
    net::post(impl_->accept_strand, [impl = impl_.get()]() {
        impl->stopping = true;
        beast::error_code ignored;
        impl->acceptor.close(ignored);
        impl->retry_timer.cancel();
        impl->accept_backoff.cancel();
        impl->io.stop();
    });
    for (auto &thread : threads_)
        if (thread.joinable())
            thread.join();
    threads_.clear();
}

}  // namespace shale
