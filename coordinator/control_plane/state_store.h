// state_store.h — the control plane's connection to its state database, with
// helpers that run parameterised SQL returning one json column per row. Each
// thread (the HTTP thread, each operation) owns its own StateStore.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/pg_connection.h"

namespace shale {

class StateStore {
public:
    explicit StateStore(std::string conninfo) : conninfo_(std::move(conninfo)) {}

    // exec runs a statement; throws std::runtime_error on failure (a bug or a
    // lost state database, both a 500/503, never the client's fault).
    PgResult exec(const std::string &sql, const std::vector<std::string> &params = {});
    // json_rows runs SQL whose first column is json and returns the rows as an array.
    nlohmann::json json_rows(const std::string &sql, const std::vector<std::string> &params = {});
    // json_row is json_rows' first row, nullopt when there is none.
    std::optional<nlohmann::json> json_row(const std::string &sql, const std::vector<std::string> &params = {});
    // value returns the first column of the first row (nullopt: no row or NULL).
    std::optional<std::string> value(const std::string &sql, const std::vector<std::string> &params = {});

    const PgConnection &connection();

private:
    std::string conninfo_;
    PgConnection connection_;
};

// StateUnavailable is thrown when the state database cannot be reached; the
// API answers 503 for it.
struct StateUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace shale
