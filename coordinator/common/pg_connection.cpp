// pg_connection.cpp — implementation of the libpq RAII wrapper.
#include "common/pg_connection.h"

#include "common/cluster_password.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

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

PgConnection PgConnection::connect_with_deadline(const std::string &conninfo,
                                                 std::chrono::milliseconds timeout,
                                                 const std::atomic<bool> *stop)
{
    using clock = std::chrono::steady_clock;
    PgConnection connection(PQconnectStart(conninfo.c_str()));
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
           kNetworkTimeoutOptions +
           (password_file_in_use().empty() ? "" : " passfile=" + quote_conninfo_value(password_file_in_use()));
}

}  // namespace shale
