// pg_connection.h — a small RAII wrapper over libpq for the CLI and the daemon:
// owned connections and results, parameterised queries, and a connect with a
// deadline that can be interrupted by a stop flag (so the daemon stays responsive
// to SIGTERM while a node does not answer).
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shale {

// PgResult owns a PGresult and frees it with PQclear.
class PgResult {
public:
    PgResult() = default;
    explicit PgResult(PGresult *result) : result_(result, &PQclear) {}

    bool ok() const;  // PGRES_COMMAND_OK or PGRES_TUPLES_OK
    std::string error_message() const;
    int rows() const { return result_ ? PQntuples(result_.get()) : 0; }
    bool is_null(int row, int column) const;
    std::string value(int row, int column) const;
    PGresult *get() const { return result_.get(); }

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_{nullptr, &PQclear};
};

// PgConnection owns a PGconn and closes it with PQfinish.
class PgConnection {
public:
    PgConnection() = default;
    explicit PgConnection(PGconn *conn) : conn_(conn, &PQfinish) {}

    // connect opens a blocking connection; check ok() afterwards.
    static PgConnection connect(const std::string &conninfo);

    // connect_with_deadline opens a connection with libpq's non-blocking API,
    // giving up after `timeout` (for each host of a multi-host conninfo, tried
    // in order) or as soon as *stop becomes true.
    static PgConnection connect_with_deadline(const std::string &conninfo,
                                              std::chrono::milliseconds timeout,
                                              const std::atomic<bool> *stop = nullptr);

    bool ok() const;
    std::string error_message() const;
    PGconn *get() const { return conn_.get(); }

    PgResult exec(const std::string &sql) const;
    // exec_params runs sql with text parameters $1..$n of type "unknown",
    // so the server resolves them to the parameter types of the called function.
    PgResult exec_params(const std::string &sql, const std::vector<std::string> &params) const;

    // exec_with_deadline sends sql and waits for its result for at most `timeout`
    // or until *stop becomes true. On a time-out it returns an empty (not ok)
    // result and the connection is left busy: the caller must drop it.
    PgResult exec_with_deadline(const std::string &sql, std::chrono::milliseconds timeout,
                                const std::atomic<bool> *stop = nullptr) const;

    // query_value returns the first column of the first row, or nullopt on error
    // (the error message is stored in *error when given).
    std::optional<std::string> query_value(const std::string &sql,
                                           std::string *error = nullptr) const;

private:
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_{nullptr, &PQfinish};
};

// quote_conninfo_value quotes a value for a libpq key=value connection string.
std::string quote_conninfo_value(const std::string &value);

// TCP keepalives and tcp_user_timeout for every connection the CLI and the daemon open: a node
// that vanishes from the network (a partition, a frozen machine) is noticed in about 10 s, even
// while a connection waits for an answer, instead of when the kernel gives up minutes later.
inline constexpr const char *kNetworkTimeoutOptions =
    "keepalives=1 keepalives_idle=5 keepalives_interval=1 keepalives_count=5 tcp_user_timeout=10000";
// The same options as URI query parameters.
inline constexpr const char *kNetworkTimeoutUriOptions =
    "keepalives=1&keepalives_idle=5&keepalives_interval=1&keepalives_count=5&tcp_user_timeout=10000";

// Shale's own sessions (health checks, the daemon, the CLI, the control plane) are left out of
// query insights, so the patterns a user sees are the application's alone.
inline constexpr const char *kShaleSessionOptions = "options='-c shale.query_stats=off'";

// node_conninfo builds the connection string the CLI and the daemon use for a node (with kNetworkTimeoutOptions).
std::string node_conninfo(const std::string &host, int port, const std::string &dbname = "postgres",
                          const std::string &user = "postgres");

}  // namespace shale
