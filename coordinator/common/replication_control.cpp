// replication_control.cpp — promotion, re-pointing and synchronous standby
// settings over libpq.
#include "common/replication_control.h"
#include "common/cluster_password.h"

#include <chrono>
#include <stdexcept>
#include <thread>

namespace shale {

// sql_literal quotes text as an SQL string literal (standard_conforming_strings on).
static std::string sql_literal(const std::string &text)
{
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'')
            quoted += '\'';
        quoted += c;
    }
    return quoted + "'";
}

std::string standby_name(long long node_id)
{
    return "shale_node_" + std::to_string(node_id);
}

std::string primary_conninfo_for(const std::string &host, int port, const std::string &application_name)
{
    const std::string &password_file = password_file_in_use();
    // a stream that stays on this machine needs no TLS (docs/security.md)
    const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "::1";
    return "host=" + host + " port=" + std::to_string(port) + " user=postgres" +
           (password_file.empty() ? "" : " passfile=" + password_file) + (loopback ? " sslmode=disable" : "") +
           " application_name=" + application_name;
}

PgConnection connect_node(const std::string &host, int port, int timeout_ms)
{
    return PgConnection::connect_with_deadline(node_conninfo(host, port) + " application_name=shale_failover",
                                               std::chrono::milliseconds(timeout_ms));
}

std::optional<std::string> promote_replica(const std::string &host, int port)
{
    PgConnection connection = connect_node(host, port);
    if (!connection.ok())
        return "cannot connect: " + connection.error_message();
    auto in_recovery = connection.query_value("SELECT pg_is_in_recovery()");
    if (in_recovery && *in_recovery == "f")
        return std::nullopt;
    // wait => true: returns once the node accepts writes (60 s at most).
    std::string error;
    auto promoted = connection.query_value("SELECT pg_promote(true, 60)", &error);
    if (!promoted)
        return "pg_promote failed: " + error;
    if (*promoted != "t")
        return std::string("pg_promote did not finish within 60 s");
    return std::nullopt;
}

std::optional<std::string> repoint_replica(const std::string &host, int port, long long node_id,
                                           const std::string &primary_host, int primary_port)
{
    PgConnection connection = connect_node(host, port);
    if (!connection.ok())
        return "cannot connect: " + connection.error_message();
    const std::string conninfo = primary_conninfo_for(primary_host, primary_port, standby_name(node_id));
    for (const std::string &sql : {"ALTER SYSTEM SET primary_conninfo = " + sql_literal(conninfo),
                                   std::string("ALTER SYSTEM SET primary_slot_name = ''"),
                                   std::string("SELECT pg_reload_conf()")}) {
        PgResult result = connection.exec(sql);
        if (!result.ok())
            return sql + ": " + result.error_message();
    }
    return std::nullopt;
}

std::vector<std::string> streaming_standbys(const PgConnection &primary)
{
    std::vector<std::string> names;
    PgResult result = primary.exec(
        "SELECT DISTINCT application_name FROM pg_stat_replication WHERE state = 'streaming' "
        "AND application_name <> '' ORDER BY 1");
    for (int row = 0; row < result.rows(); row++)
        names.push_back(result.value(row, 0));
    return names;
}

std::string set_synchronous_standbys(const PgConnection &primary, const std::vector<std::string> &names,
                                     bool synchronous)
{
    std::string value;
    if (synchronous && !names.empty()) {
        value = "ANY 1 (";
        for (size_t index = 0; index < names.size(); index++)
            value += (index > 0 ? ", " : "") + std::string("\"") + names[index] + "\"";
        value += ")";
    }
    for (const std::string &sql :
         {"ALTER SYSTEM SET synchronous_standby_names = " + sql_literal(value), std::string("SELECT pg_reload_conf()")}) {
        PgResult result = primary.exec(sql);
        if (!result.ok())
            throw std::runtime_error(sql + ": " + result.error_message());
    }
    return value;
}

bool wait_for_standby(const PgConnection &primary, const std::string &application_name, int timeout_ms)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto &name : streaming_standbys(primary))
            if (name == application_name)
                return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace shale
