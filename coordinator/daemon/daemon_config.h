// daemon_config.h — shaled's settings, from command-line flags and an optional
// "key = value" config file with the same keys (flags override the file).
#pragma once

#include <stdexcept>
#include <string>

#include "common/logger.h"

namespace shale {

struct DaemonConfig {
    std::string router_conninfo;  // libpq connection string of the router primary
    std::string config_file;
    std::string log_file;         // empty: log to stderr
    LogLevel log_level = LogLevel::info;
    int check_interval_ms = 1000;
    // HTTP API and /metrics on 127.0.0.1:http_port; 0 turns the server off
    int http_port = 0;
    // cluster directory of `shale up` (its cluster.json names the cluster and
    // its URI in GET /v1/cluster); empty when shaled runs without one
    std::string cluster_dir;
    // Failover (failover.h): time-out of one health check, and how many
    // consecutive refused / failed checks make a primary lost.
    int check_timeout_ms = 1000;
    bool failover = true;
    int failover_refused_checks = 2;
    int failover_timeout_checks = 5;
    // seconds between snapshots of shale.query_stats into the insights history
    int insights_interval_s = 60;
};

// UsageError is a bad flag or config value; main prints it and exits with 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// parse_daemon_config reads flags and the config file. Returns false when --help
// was printed and the daemon should exit successfully.
bool parse_daemon_config(int argc, char **argv, DaemonConfig &config);

}  // namespace shale
