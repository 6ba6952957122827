// pg_connection.cpp — implementation of the libpq RAII wrapper.
#include "common/pg_connection.h"

#include "common/cluster_password.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

namespace shale {

bool PgResult::ok() const
{
    if (!result_)
        return false;
    ExecStatusType status = PQresultStatus(result_.get());
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string PgResult::error_message() const
{
    if (!result_)
        return "no result (connection lost)";
    std::string message = PQresultErrorMessage(result_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    return message;
}

bool PgResult::is_null(int row, int column) const
{
    return PQgetisnull(result_.get(), row, column) != 0;
}

std::string PgResult::value(int row, int column) const
{
    return PQgetvalue(result_.get(), row, column);
}

PgConnection PgConnection::connect(const std::string &conninfo)
{
    return PgConnection(PQconnectdb(conninfo.c_str()));
}

namespace {

// poll_connection drives a connection started with PQconnectStart* until it is
// made or fails, `timeout` passes (an empty connection then) or *stop is set.
PgConnection poll_connection(PgConnection connection, std::chrono::milliseconds timeout,
                             const std::atomic<bool> *stop)
{
    using clock = std::chrono::steady_clock;
    PGconn *conn = connection.get();
    if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD)
        return connection;

    const auto deadline = clock::now() + timeout;
    PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
    while (poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED) {
        if (stop != nullptr && stop->load())
            return PgConnection();
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (remaining.count() <= 0)
            return PgConnection();
        struct pollfd descriptor = {PQsocket(conn),
                                    static_cast<short>(poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT),
                                    0};
        // Wake up at least every 100 ms to look at the stop flag.
        int wait_ms = static_cast<int>(std::min<long long>(remaining.count(), 100));
        int ready = poll(&descriptor, 1, wait_ms);
        if (ready < 0 && errno != EINTR)
            return connection;
        if (ready > 0)
            poll_status = PQconnectPoll(conn);
    }
    return connection;
}

// split_list splits libpq's comma-separated host or port list.
std::vector<std::string> split_list(const std::string &text)
{
    std::vector<std::string> items;
    size_t start = 0;
    while (true) {
        size_t comma = text.find(',', start);
        items.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos)
            return items;
        start = comma + 1;
    }
}

}  // namespace

PgConnection PgConnection::connect_with_deadline(const std::string &conninfo,
                                                 std::chrono::milliseconds timeout,
                                                 const std::atomic<bool> *stop)
{
    // libpq's non-blocking connect does not apply connect_timeout: a host that
    // drops every packet (a partition) would hold a multi-host connection on its
    // first host until TCP gives up, minutes later. So each host of a list gets
    // its own attempt with the whole timeout, in the list's order.
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
        PQconninfoParse(conninfo.c_str(), nullptr), &PQconninfoFree);
    std::vector<std::string> hosts, ports;
    for (PQconninfoOption *option = options.get(); option != nullptr && option->keyword != nullptr; option++) {
        if (option->val == nullptr)
            continue;
        if (std::string(option->keyword) == "host")
            hosts = split_list(option->val);
        else if (std::string(option->keyword) == "port")
            ports = split_list(option->val);
    }
    if (hosts.size() < 2)
        return poll_connection(PgConnection(PQconnectStart(conninfo.c_str())), timeout, stop);
    PgConnection last;
    for (size_t index = 0; index < hosts.size(); index++) {
        std::vector<const char *> keywords, values;
        const std::string port = ports.size() == 1 ? ports[0] : index < ports.size() ? ports[index] : "";
        for (PQconninfoOption *option = options.get(); option->keyword != nullptr; option++) {
            const std::string keyword = option->keyword;
            if (keyword == "host") {
                keywords.push_back("host");
                values.push_back(hosts[index].c_str());
            } else if (keyword == "port") {
                if (!port.empty()) {
                    keywords.push_back("port");
                    values.push_back(port.c_str());
                }
            } else if (option->val != nullptr) {
                keywords.push_back(option->keyword);
                values.push_back(option->val);
            }
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        last = poll_connection(PgConnection(PQconnectStartParams(keywords.data(), values.data(), 0)), timeout, stop);
        if (last.ok() || (stop != nullptr && stop->load()))
            return last;
    }
    return last;
}

bool PgConnection::ok() const
{
    return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

std::string PgConnection::error_message() const
{
    if (!conn_)
        return "connection timed out";
    std::string message = PQerrorMessage(conn_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    return message;
}

PgResult PgConnection::exec(const std::string &sql) const
{
    if (!conn_)
        return PgResult();
    return PgResult(PQexec(conn_.get(), sql.c_str()));
}

PgResult PgConnection::exec_params(const std::string &sql, const std::vector<std::string> &params) const
{
    if (!conn_)
        return PgResult();
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &param : params)
        values.push_back(param.c_str());
    return PgResult(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0));
}

PgResult PgConnection::exec_with_deadline(const std::string &sql, std::chrono::milliseconds timeout,
                                          const std::atomic<bool> *stop) const
{
    using clock = std::chrono::steady_clock;
    PGconn *conn = conn_.get();
    if (conn == nullptr || !PQsendQuery(conn, sql.c_str()))
        return PgResult();
    const auto deadline = clock::now() + timeout;
    PGresult *last = nullptr;
    while (true) {
        while (!PQisBusy(conn)) {
            PGresult *next = PQgetResult(conn);
            if (next == nullptr)
                return PgResult(last);
            PQclear(last);
            last = next;
        }
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (remaining.count() <= 0 || (stop != nullptr && stop->load()))
            break;
        struct pollfd descriptor = {PQsocket(conn), POLLIN, 0};
        int ready = poll(&descriptor, 1, static_cast<int>(std::min<long long>(remaining.count(), 100)));
        if (ready < 0 && errno != EINTR)
            break;
        if (ready > 0 && !PQconsumeInput(conn))
            break;
    }
    PQclear(last);
    return PgResult();
}

std::optional<std::string> PgConnection::query_value(const std::string &sql, std::string *error) const
{
    PgResult result = exec(sql);
    if (!result.ok() || result.rows() < 1) {
        if (error != nullptr)
            *error = result.ok() ? "query returned no rows" : result.error_message();
        return std::nullopt;
    }
    return result.value(0, 0);
}

std::string quote_conninfo_value(const std::string &value)
{
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\')
            quoted += '\\';
        quoted += c;
    }
    return quoted + "'";
}

std::string node_conninfo(const std::string &host, int port, const std::string &dbname, const std::string &user)
{
    return "host=" + quote_conninfo_value(host) + " port=" + std::to_string(port) +
           " dbname=" + quote_conninfo_value(dbname) + " user=" + quote_conninfo_value(user) + " " +
           kNetworkTimeoutOptions + " " + kShaleSessionOptions +
           (password_file_in_use().empty() ? "" : " passfile=" + quote_conninfo_value(password_file_in_use()));
}

}  // namespace shale
