// state_instance.h — where `shale serve` keeps its state: the embedded
// PostgreSQL instance it creates and starts under DIR/state (SCRAM password
// auth, no TCP listener: only a unix socket in DIR/state), or an existing
// server given by --state URI.
#pragma once

#include <string>

#include "common/os_user.h"

namespace shale {

class StateInstance {
public:
    // embedded: the instance under state_dir (created on first use).
    static StateInstance embedded(const std::string &state_dir, const OsUser &user);
    // external: an existing server, reached with conninfo as given.
    static StateInstance external(const std::string &conninfo);

    // ensure_running creates (initdb) and starts the embedded instance when
    // needed; a no-op for an external server.
    void ensure_running() const;
    // stop stops the embedded instance (fast shutdown); no-op when external.
    void stop() const;
    // conninfo is the libpq connection string of the state database.
    // (embedded: read with the password from DIR/state/password each time)
    std::string conninfo() const;
    bool is_embedded() const { return !state_dir_.empty(); }

private:
    void create() const;
    std::string state_dir_;  // "" for an external server
    std::string conninfo_;   // external only
    const OsUser *user_ = nullptr;
};

}  // namespace shale
