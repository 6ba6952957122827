// source_connection.h — connections of `shale import` to the source database and
// to the Shale router: a connect that turns libpq's failures (unreachable host,
// wrong password, missing database) into one clear message with what to do,
// identifier quoting, and the session settings both sides share so values
// print the same way on each.
#pragma once

#include <string>
#include <vector>

#include "common/pg_connection.h"

namespace shale::import {

// connect_checked opens a connection to uri (with a 10 s connect timeout and TCP
// keepalives) or throws CliError naming `what` ("source", "Shale") and the fix.
PgConnection connect_checked(const std::string &uri, const std::string &what);

// with_replication returns uri with replication=database added (a walsender
// connection that also runs SQL).
std::string with_replication(const std::string &uri);

// exec_checked runs sql and throws CliError (with `context` and the server's
// message) when it fails; returns the result.
PgResult exec_checked(const PgConnection &connection, const std::string &sql, const std::string &context);

// quote_identifier double-quotes a name for SQL ("Mixed""Case").
std::string quote_identifier(const std::string &name);
// quote_literal single-quotes a string for SQL, doubling quotes (standard_conforming_strings).
std::string quote_literal(const std::string &value);
// join_identifiers quotes each name and joins them with ", ".
std::string join_identifiers(const std::vector<std::string> &names);

// kSessionSettings makes text output canonical on both sides (dates, floats,
// intervals, time zone), so COPY text and checksums compare byte for byte.
inline constexpr const char *kSessionSettings =
    "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; SET TimeZone = 'UTC'; "
    "SET bytea_output = hex; SET client_encoding = 'UTF8'";

}  // namespace shale::import
