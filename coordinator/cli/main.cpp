// main.cpp — entry point of the shale CLI: picks the subcommand (up, down,
// status, uri), parses and validates its flags, and maps errors to exit codes
// (2 for bad usage, 1 for failures).
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"

namespace po = boost::program_options;

namespace {

const char *kUsage =
    "Usage: shale <command> [options]\n"
    "\n"
    "Commands:\n"
    "  up       create and start a local cluster (or start a stopped one); prints its URI last\n"
    "  down     stop the cluster (shaled and every node)\n"
    "  status   show every node (role, group, port, up/down, replication lag) and shaled\n"
    "  uri      print the cluster's postgres:// URI\n"
    "\n"
    "Run `shale <command> --help` for the options of a command.\n"
    "\n"
    "Developer options (environment):\n"
    "  SHALE_NO_EXTENSION=1  start plain PostgreSQL nodes: no shared_preload_libraries,\n"
    "                        no CREATE EXTENSION, no node registration\n"
    "  SHALE_PG_BINDIR=DIR   PostgreSQL 15 binaries (default /usr/lib/postgresql/15/bin)\n"
    "  SHALED_BIN=PATH       shaled executable (default: next to shale, then PATH)\n";

// absolute_dir makes --dir absolute and normal, without a trailing slash.
std::string absolute_dir(const std::string &dir)
{
    std::string normal = std::filesystem::absolute(dir).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    return normal;
}

// check_range throws a usage error unless low <= value <= high.
void check_range(const char *flag, int value, int low, int high)
{
    if (value < low || value > high)
        throw shale::CliError(std::string(flag) + " must be between " + std::to_string(low) + " and " +
                                  std::to_string(high) + " (got " + std::to_string(value) + ")",
                              2);
}

int run_command(const std::string &command, const std::vector<std::string> &arguments)
{
    po::options_description options("Options for `shale " + command + "`");
    options.add_options()("help,h", "show this help")(
        "dir", po::value<std::string>()->default_value("./.shale"), "cluster directory");
    if (command == "up") {
        options.add_options()
            ("port", po::value<int>(), "router port (default: first free port from 5432)")
            ("workers", po::value<int>()->default_value(2), "number of worker groups (1..64)")
            ("replicas", po::value<int>()->default_value(1), "streaming replicas per primary, router too (0..5)")
            ("async", "asynchronous replication (a failover can lose acknowledged commits)");
    } else if (command != "down" && command != "status" && command != "uri") {
        throw shale::CliError("unknown command \"" + command + "\"\n" + kUsage, 2);
    }

    po::variables_map values;
    try {
        po::store(po::command_line_parser(arguments).options(options).run(), values);
        po::notify(values);
    } catch (const po::error &error) {
        throw shale::CliError(std::string(error.what()) + "\nTry \"shale " + command + " --help\".", 2);
    }
    if (values.count("help")) {
        std::cout << "Usage: shale " << command << " [options]\n\n" << options << "\n";
        return 0;
    }
    const std::string dir = absolute_dir(values["dir"].as<std::string>());
    if (command == "down")
        return shale::cluster_down(dir);
    if (command == "status")
        return shale::cluster_status(dir);
    if (command == "uri")
        return shale::cluster_uri(dir);

    shale::UpOptions up;
    up.dir = dir;
    up.workers = values["workers"].as<int>();
    up.workers_given = !values["workers"].defaulted();
    up.replicas = values["replicas"].as<int>();
    up.replicas_given = !values["replicas"].defaulted();
    up.async = values.count("async") > 0;
    if (values.count("port")) {
        up.port = values["port"].as<int>();
        up.port_given = true;
        check_range("--port", up.port, 1, 65535);
    }
    check_range("--workers", up.workers, 1, 64);
    check_range("--replicas", up.replicas, 0, 5);
    return shale::cluster_up(up);
}

}  // namespace

int main(int argc, char **argv)
{
    std::vector<std::string> arguments(argv + 1, argv + argc);
    if (arguments.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    if (arguments[0] == "--help" || arguments[0] == "-h" || arguments[0] == "help") {
        std::cout << kUsage;
        return 0;
    }
    const std::string command = arguments[0];
    arguments.erase(arguments.begin());
    try {
        return run_command(command, arguments);
    } catch (const shale::CliError &error) {
        std::cerr << "shale: " << (error.exit_code == 2 ? "" : "error: ") << error.what() << "\n";
        return error.exit_code;
    } catch (const std::exception &error) {
        std::cerr << "shale: error: " << error.what() << "\n";
        return 1;
    }
}
