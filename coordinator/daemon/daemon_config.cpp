// daemon_config.cpp — parsing shaled's flags and config file.
#include "daemon/daemon_config.h"

#include <boost/program_options.hpp>

#include <iostream>

#include "common/config_file.h"

namespace shale {

namespace po = boost::program_options;

// apply_setting stores one key/value (from a flag or from the config file).
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
        int interval = 0;
        try {
            interval = std::stoi(value);
        } catch (const std::exception &) {
            throw UsageError("invalid check-interval-ms \"" + value + "\"");
        }
        if (interval < 100 || interval > 600000)
            throw UsageError("check-interval-ms must be between 100 and 600000");
        config.check_interval_ms = interval;
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
        ("check-interval-ms", po::value<std::string>(), "milliseconds between health checks (default 1000)");
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
    for (const char *key : {"router", "log-file", "log-level", "check-interval-ms"})
        if (values.count(key))
            apply_setting(config, key, values[key].as<std::string>());
    if (config.router_conninfo.empty())
        throw UsageError("--router is required (or router = ... in the config file)");
    return true;
}

}  // namespace shale
