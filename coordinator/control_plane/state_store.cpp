// state_store.cpp — (re)connecting to the state database and running queries.
#include "control_plane/state_store.h"

#include <stdexcept>

namespace shale {

const PgConnection &StateStore::connection()
{
    if (!connection_.ok() || PQstatus(connection_.get()) != CONNECTION_OK) {
        connection_ = PgConnection::connect(conninfo_);
        if (!connection_.ok())
            throw StateUnavailable("the state database is unavailable: " + connection_.error_message());
    }
    return connection_;
}

PgResult StateStore::exec(const std::string &sql, const std::vector<std::string> &params)
{
    const PgConnection &db = connection();
    PgResult result = params.empty() ? db.exec(sql) : db.exec_params(sql, params);
    if (!result.ok()) {
        if (PQstatus(db.get()) != CONNECTION_OK)
            throw StateUnavailable("the state database connection was lost: " + result.error_message());
        throw std::runtime_error("state query failed: " + result.error_message());
    }
    return result;
}

nlohmann::json StateStore::json_rows(const std::string &sql, const std::vector<std::string> &params)
{
    PgResult result = exec(sql, params);
    nlohmann::json rows = nlohmann::json::array();
    for (int row = 0; row < result.rows(); row++)
        rows.push_back(nlohmann::json::parse(result.value(row, 0)));
    return rows;
}

std::optional<nlohmann::json> StateStore::json_row(const std::string &sql, const std::vector<std::string> &params)
{
    PgResult result = exec(sql, params);
    if (result.rows() == 0 || result.is_null(0, 0))
        return std::nullopt;
    return nlohmann::json::parse(result.value(0, 0));
}

std::optional<std::string> StateStore::value(const std::string &sql, const std::vector<std::string> &params)
{
    PgResult result = exec(sql, params);
    if (result.rows() == 0 || result.is_null(0, 0))
        return std::nullopt;
    return result.value(0, 0);
}

}  // namespace shale
