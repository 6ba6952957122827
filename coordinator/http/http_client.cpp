// http_client.cpp — blocking HTTP/1.1 requests over Beast, plain or TLS, with a time-out.
#include "http/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>
#include <stdexcept>

#include "http/tls_certificate.h"

namespace shale {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct HostPort {
    bool https = false;
    std::string host;
    std::string port;
};

// split_base_url reads "http[s]://HOST[:PORT][/]" into host and port (80 or 443 by default).
HostPort split_base_url(const std::string &base_url)
{
    HostPort address;
    std::string rest;
    if (base_url.rfind("http://", 0) == 0) {
        rest = base_url.substr(7);
    } else if (base_url.rfind("https://", 0) == 0) {
        address.https = true;
        rest = base_url.substr(8);
    } else {
        throw std::runtime_error("only http:// and https:// URLs are supported (got \"" + base_url + "\")");
    }
    size_t slash = rest.find('/');
    if (slash != std::string::npos)
        rest.resize(slash);
    size_t colon = rest.rfind(':');
    address.host = colon == std::string::npos ? rest : rest.substr(0, colon);
    address.port = colon == std::string::npos ? (address.https ? "443" : "80") : rest.substr(colon + 1);
    return address;
}

// run_async starts one asynchronous operation and runs the io_context until it
// ends: Beast's time-outs (tcp_stream::expires_after) bound asynchronous
// operations only, and a blocking connect to a cut-off host would wait for the
// kernel's SYN retries (minutes) instead of the call's time-out.
template <class Start>
beast::error_code run_async(net::io_context &io, Start start)
{
    beast::error_code result;
    start([&result](beast::error_code error, auto &&...) { result = error; });
    io.restart();
    io.run();
    return result;
}

// exchange writes the request on a connected stream and reads the answer.
template <class Stream>
HttpClientResponse exchange(net::io_context &io, Stream &stream, const http::request<http::string_body> &request,
                            const std::string &base_url)
{
    beast::error_code error =
        run_async(io, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
    if (error)
        throw std::runtime_error("cannot send the request to " + base_url + ": " + error.message());
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    error = run_async(io, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
    if (error)
        throw std::runtime_error("no answer from " + base_url + ": " + error.message());
    HttpClientResponse answer;
    answer.status = static_cast<int>(parser.get().result_int());
    answer.body = parser.get().body();
    for (const auto &field : parser.get()) {
        std::string name(field.name_string());
        for (auto &c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        answer.headers[name] = std::string(field.value());
    }
    return answer;
}

}  // namespace

HttpClientResponse http_call(const std::string &method, const std::string &base_url, const std::string &target,
                             const std::string &body, const std::map<std::string, std::string> &headers,
                             std::chrono::milliseconds timeout, const HttpClientTls *tls)
{
    HostPort address = split_base_url(base_url);
    if (address.https && tls == nullptr)
        throw std::runtime_error("https call to " + base_url + " without a certificate pin");
    net::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    beast::error_code error;
    auto endpoints = resolver.resolve(address.host, address.port, error);
    if (error)
        throw std::runtime_error("cannot resolve " + address.host + ": " + error.message());
    stream.expires_after(timeout);
    error = run_async(io, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (error)
        throw std::runtime_error("cannot connect to " + base_url + ": " + error.message());

    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, address.host + ":" + address.port);
    request.set(http::field::user_agent, "shale");
    for (const auto &header : headers)
        request.set(header.first, header.second);
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
    }
    request.prepare_payload();
    stream.expires_after(timeout);
    if (!address.https) {
        HttpClientResponse answer = exchange(io, stream, request, base_url);
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        return answer;
    }

    // The agent's certificate is self-signed: it is checked against the pinned
    // fingerprint right after the handshake, before the request (and its token) is sent.
    net::ssl::context context(net::ssl::context::tls_client);
    context.set_verify_mode(net::ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), context);
    error = run_async(io, [&](auto handler) {
        secure.async_handshake(net::ssl::stream_base::client, std::move(handler));
    });
    if (error)
        throw std::runtime_error("TLS handshake with " + base_url + " failed: " + error.message());
    X509 *certificate = SSL_get_peer_certificate(secure.native_handle());
    if (certificate == nullptr)
        throw std::runtime_error(base_url + " showed no TLS certificate");
    std::string fingerprint = certificate_fingerprint(certificate);
    X509_free(certificate);
    if (!tls->pinned_fingerprint.empty() && fingerprint != tls->pinned_fingerprint)
        throw std::runtime_error("the TLS certificate of " + base_url + " changed (pinned SHA-256 " +
                                 tls->pinned_fingerprint + ", shown " + fingerprint +
                                 "): refusing to talk to it. If the agent was reinstalled on purpose, update "
                                 "its fingerprint in cluster.json");
    HttpClientResponse answer = exchange(io, secure, request, base_url);
    answer.peer_fingerprint = fingerprint;
    beast::error_code ignored;
    beast::get_lowest_layer(secure).socket().shutdown(tcp::socket::shutdown_both, ignored);
    return answer;
}

}  // namespace shale
