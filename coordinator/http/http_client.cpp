// http_client.cpp — blocking HTTP/1.1 requests over Beast, with a time-out.
#include "http/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <stdexcept>

namespace shale {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct HostPort {
    std::string host;
    std::string port;
};

// split_base_url reads "http://HOST[:PORT][/]" into host and port (80 by default).
HostPort split_base_url(const std::string &base_url)
{
    const std::string scheme = "http://";
    if (base_url.compare(0, scheme.size(), scheme) != 0)
        throw std::runtime_error("only http:// URLs are supported (got \"" + base_url + "\")");
    std::string rest = base_url.substr(scheme.size());
    size_t slash = rest.find('/');
    if (slash != std::string::npos)
        rest.resize(slash);
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos)
        return {rest, "80"};
    return {rest.substr(0, colon), rest.substr(colon + 1)};
}

}  // namespace

HttpClientResponse http_call(const std::string &method, const std::string &base_url, const std::string &target,
                             const std::string &body, const std::map<std::string, std::string> &headers,
                             std::chrono::milliseconds timeout)
{
    HostPort address = split_base_url(base_url);
    net::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    beast::error_code error;
    auto endpoints = resolver.resolve(address.host, address.port, error);
    if (error)
        throw std::runtime_error("cannot resolve " + address.host + ": " + error.message());
    stream.expires_after(timeout);
    stream.connect(endpoints, error);
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
    http::write(stream, request, error);
    if (error)
        throw std::runtime_error("cannot send the request to " + base_url + ": " + error.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser, error);
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
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return answer;
}

}  // namespace shale
