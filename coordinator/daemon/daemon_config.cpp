// daemon_config.cpp — parsing shaled's flags and config file.
#include "daemon/daemon_config.h"

#include <boost/program_options.hpp>

#include <iostream>

#include "common/config_file.h"

namespace shale {

namespace po = boost::program_options;

// apply_setting stores one key/value (from a flag or from the config file).
// integer_setting reads a whole number from low to high (UsageError otherwise).
static int integer_setting(const std::string &key, const std::string &value, int low, int high)
{
    int number = 0;
    try {
        number = std::stoi(value);
    } catch (const std::exception &) {
        throw UsageError("invalid " + key + " \"" + value + "\"");
    }
    if (number < low || number > high)
        throw UsageError(key + " must be between " + std::to_string(low) + " and " + std::to_string(high));
    return number;
}

static void apply_setting(DaemonConfig &config, const std::string &key, const std::string &value)
{
    if (key == "router") {
        config.router_conninfo = value;
    } else if (key == "log-file") {
        config.log_file = value;
    } else if (key == "log-level") {
        auto level = parse_log_level(value);
        if (!level)
            throw UsageError("invalid log level \"" + value + "\" (use debug, info, warn or error)");
        config.log_level = *level;
    } else if (key == "check-interval-ms") {
        config.check_interval_ms = integer_setting(key, value, 100, 600000);
    } else if (key == "http-port") {
        int port = -1;
        try {
            port = std::stoi(value);
        } catch (const std::exception &) {
        }
        if (port < 0 || port > 65535)
            throw UsageError("invalid http-port \"" + value + "\" (use 1..65535, or 0 for no HTTP server)");
        config.http_port = port;
    } else if (key == "check-timeout-ms" || key == "failover-refused-checks" || key == "failover-timeout-checks") {
        int number = 0;
        try {
            number = std::stoi(value);
        } catch (const std::exception &) {
            throw UsageError("invalid " + key + " \"" + value + "\"");
        }
        bool is_timeout = key == "check-timeout-ms";
        if (number < (is_timeout ? 100 : 1) || number > (is_timeout ? 60000 : 100))
            throw UsageError(key + (is_timeout ? " must be between 100 and 60000" : " must be between 1 and 100"));
        (is_timeout ? config.check_timeout_ms
                    : key == "failover-refused-checks" ? config.failover_refused_checks
                                                       : config.failover_timeout_checks) = number;
    } else if (key == "failover") {
        if (value != "on" && value != "off")
            throw UsageError("failover must be on or off");
        config.failover = value == "on";
    } else if (key == "insights-interval-s") {
        config.insights_interval_s = integer_setting(key, value, 5, 3600);
    } else if (key == "cluster-dir") {
        config.cluster_dir = value;
    } else {
        throw UsageError("unknown setting \"" + key + "\"");
    }
}

bool parse_daemon_config(int argc, char **argv, DaemonConfig &config)
{
    po::options_description options("shaled — the Shale coordinator daemon (health checks for now)\n\nOptions");
    options.add_options()
        ("help,h", "show this help")
        ("router", po::value<std::string>(), "libpq connection string of the router primary, e.g.\n"
                                             "'host=127.0.0.1 port=5432 dbname=postgres user=postgres'")
        ("config", po::value<std::string>(), "config file with key = value lines (same keys as the flags)")
        ("log-file", po::value<std::string>(), "append log lines here (default: stderr)")
        ("log-level", po::value<std::string>(), "debug, info (default), warn or error")
        ("check-interval-ms", po::value<std::string>(), "milliseconds between health checks (default 1000)")
        ("http-port", po::value<std::string>(), "serve the HTTP API and /metrics on 127.0.0.1:PORT\n"
                                                "(default 0: no HTTP server)")
        ("cluster-dir", po::value<std::string>(), "directory of the cluster made by `shale up` (for\n"
                                                  "its name and URI in GET /v1/cluster)")
        ("check-timeout-ms", po::value<std::string>(), "time-out of one health check (default 1000)")
        ("failover", po::value<std::string>(), "on (default) or off: automatic failover")
        ("insights-interval-s", po::value<std::string>(), "seconds between snapshots of shale.query_stats into\n"
                                                          "the insights history (default 60)")
        ("failover-refused-checks", po::value<std::string>(), "consecutive refused checks that make a primary\n"
                                                              "lost (default 2)")
        ("failover-timeout-checks", po::value<std::string>(), "consecutive refused or timed-out checks that\n"
                                                              "make a primary lost (default 5)");
    po::variables_map values;
    try {
        po::store(po::parse_command_line(argc, argv, options), values);
        po::notify(values);
    } catch (const po::error &error) {
        throw UsageError(error.what());
    }
    if (values.count("help")) {
        std::cout << options << "\n";
        return false;
    }
    if (values.count("config")) {
        config.config_file = values["config"].as<std::string>();
        try {
            for (const auto &[key, value] : read_config_file(config.config_file))
                apply_setting(config, key, value);
        } catch (const UsageError &) {
            throw;
        } catch (const std::exception &error) {
            throw UsageError(error.what());
        }
    }
    for (const char *key : {"router", "log-file", "log-level", "check-interval-ms", "http-port", "cluster-dir",
                            "check-timeout-ms", "failover", "failover-refused-checks", "failover-timeout-checks",
                            "insights-interval-s"})
        if (values.count(key))
            apply_setting(config, key, values[key].as<std::string>());
    if (config.router_conninfo.empty())
        throw UsageError("--router is required (or router = ... in the config file)");
    return true;
}

}  // namespace shale
