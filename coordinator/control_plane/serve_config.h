// serve_config.h — the settings of `shale serve` (flags, see serve_command.cpp).
#pragma once

#include <string>

namespace shale {

struct ServeConfig {
    std::string dir;              // absolute serve directory (state, databases, logs)
    std::string bind_address = "127.0.0.1";
    int port = 8420;
    std::string state_uri;        // --state: an existing server; "" for the embedded instance
    std::string templates_dir;
    std::string portal_dir;       // the built portal served at / (portal_files.h)
    std::string shale_binary;     // this executable, run as `shale up` / `shale down` for databases
    double rate_per_second = 50;  // requests per second per token (token bucket)
    double rate_burst = 100;
    double auth_failure_burst = 20;      // failed authentications per client address before 429s (1/s refill)
    int grace_period_s = 7 * 24 * 3600;  // how long a deleted database can be undeleted
    int max_parallel_operations = 5;
    int storage_interval_s = 60;         // how often the storage of every database is measured
    int database_port_first = 21000;     // databases take blocks of ports in [first, last)
    int database_port_last = 31000;
    int revert_window_s = 30 * 60;       // how long a deploy request can be reverted after its deploy
    std::string databases_dir() const { return dir + "/databases"; }
    // the certificate authority that signs every database's node certificates
    std::string tls_dir() const { return dir + "/tls"; }
};

}  // namespace shale
