// source_connection.cpp — checked connections and SQL quoting for `shale import`.
#include "import/source_connection.h"

#include "cli/cli_error.h"

namespace shale::import {

namespace {

// connection_hint says what to do about a libpq connection failure.
std::string connection_hint(const std::string &message)
{
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("no password supplied") != std::string::npos)
        return "check the user name and password in the URI (postgres://USER:PASSWORD@HOST:PORT/DB), or put "
               "the password in ~/.pgpass or PGPASSFILE";
    if (message.find("Connection refused") != std::string::npos ||
        message.find("could not translate host name") != std::string::npos ||
        message.find("timeout expired") != std::string::npos ||
        message.find("No route to host") != std::string::npos)
        return "check the host and port in the URI and that the server is running and accepts TCP "
               "connections (listen_addresses, pg_hba.conf)";
    if (message.find("does not exist") != std::string::npos)
        return "check the database and user names in the URI";
    if (message.find("no pg_hba.conf entry") != std::string::npos)
        return "add a line for this host and user to the server's pg_hba.conf (scram-sha-256) and reload it";
    return "check the URI";
}

}  // namespace

PgConnection connect_checked(const std::string &uri, const std::string &what)
{
    // A URI gets the connect timeout and keepalives as query parameters, key=value
    // pairs get them appended.
    std::string conninfo = uri;
    if (uri.rfind("postgres://", 0) == 0 || uri.rfind("postgresql://", 0) == 0)
        conninfo += std::string(uri.find('?') == std::string::npos ? "?" : "&") +
                    "connect_timeout=10&" + kNetworkTimeoutUriOptions;
    else
        conninfo += std::string(" connect_timeout=10 ") + kNetworkTimeoutOptions;
    PgConnection connection = PgConnection::connect(conninfo);
    if (!connection.ok()) {
        std::string message = connection.error_message();
        throw CliError("cannot connect to the " + what + " database: " + message + "\nhint: " +
                       connection_hint(message));
    }
    // Server notices ("drop cascades to ...") are not for the user of the CLI.
    PQsetNoticeProcessor(connection.get(), [](void *, const char *) {}, nullptr);
    return connection;
}

std::string with_replication(const std::string &uri)
{
    if (uri.rfind("postgres://", 0) == 0 || uri.rfind("postgresql://", 0) == 0)
        return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "replication=database";
    return uri + " replication=database";
}

PgResult exec_checked(const PgConnection &connection, const std::string &sql, const std::string &context)
{
    PgResult result = connection.exec(sql);
    if (!result.ok())
        throw CliError(context + ": " + result.error_message());
    return result;
}

std::string quote_identifier(const std::string &name)
{
    std::string quoted = "\"";
    for (char c : name) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string quote_literal(const std::string &value)
{
    std::string quoted = "'";
    for (char c : value) {
        if (c == '\'')
            quoted += '\'';
        quoted += c;
    }
    return quoted + "'";
}

std::string join_identifiers(const std::vector<std::string> &names)
{
    std::string joined;
    for (const auto &name : names)
        joined += (joined.empty() ? "" : ", ") + quote_identifier(name);
    return joined;
}

}  // namespace shale::import
