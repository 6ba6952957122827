// main.cpp — entry point of the shale CLI: picks the subcommand (up, down,
// status, uri), parses and validates its flags, and maps errors to exit codes
// (2 for bad usage, 1 for failures).
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "cli/backup_commands.h"
#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/scaling_commands.h"
#include "cli/switchover.h"

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
    "  switchover  planned change of a group's primary: --group N (0 = router) [--to NODE_ID]\n"
    "  backup   back up every group now (pgBackRest) and make a restore point\n"
    "  backups  list backups (time, group, kind, size, verified, failures) and restore points\n"
    "  restore-point  make a cluster-consistent restore point now (--name NAME); prints its name\n"
    "  verify   check the checksums of every backup and archived WAL segment now\n"
    "  restore  build a new cluster at a restore point or time: --to X --target NEWDIR [--replicas N]\n"
    "  add-group  create, start and register the next worker group [--replicas N]\n"
    "  rebalance  move shards until worker groups are even [--wait]; prints the operation id\n"
    "  drain    move every shard off a worker group: --group N [--wait] [--remove]\n"
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
    } else if (command == "backup") {
        options.add_options()("kind", po::value<std::string>()->default_value("full"), "full, diff or incr");
    } else if (command == "restore") {
        options.add_options()
            ("to", po::value<std::string>(), "restore point name, or UTC time \"YYYY-MM-DD HH:MM:SS\"")
            ("target", po::value<std::string>(), "directory of the new cluster (must not exist)")
            ("replicas", po::value<int>(), "replicas per group in the new cluster (0..5; default: as the source)");
    } else if (command == "restore-point") {
        options.add_options()("name", po::value<std::string>()->default_value(""), "restore point name (default: generated)");
    } else if (command == "backups" || command == "verify") {
    } else if (command == "switchover") {
        options.add_options()
            ("group", po::value<int>(), "the group whose primary changes (0 = the router group)")
            ("to", po::value<long long>()->default_value(0), "node id of the replica to promote (default: the\n"
                                                             "streaming replica with the least lag)");
    } else if (command == "add-group") {
        options.add_options()("replicas", po::value<int>(), "streaming replicas of the new group (0..5; default: as "
                                                              "many as the cluster's groups have)");
    } else if (command == "rebalance" || command == "drain") {
        if (command == "drain")
            options.add_options()
                ("group", po::value<int>(), "the worker group to empty")
                ("remove", "after the drain, unregister the group's nodes, stop them and drop them from "
                           "cluster.json (implies --wait)");
        options.add_options()
            ("wait", "follow the operation until it ends (exit code 1 if it failed)")
            ("timeout", po::value<int>()->default_value(0), "with --wait: give up waiting after this many seconds "
                                                             "(0: never); the operation goes on");
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
    if (command == "backup")
        return shale::cluster_backup(dir, values["kind"].as<std::string>());
    if (command == "backups")
        return shale::cluster_backups(dir);
    if (command == "verify")
        return shale::cluster_verify(dir);
    if (command == "restore-point")
        return shale::cluster_restore_point(dir, values["name"].as<std::string>());
    if (command == "restore" && (!values.count("to") || !values.count("target")))
        throw shale::CliError("shale restore needs --to <restore point | time> and --target NEWDIR", 2);
    if (command == "restore")
    {
        int replicas = values.count("replicas") ? values["replicas"].as<int>() : -1;
        if (values.count("replicas") && (replicas < 0 || replicas > 5))
            throw shale::CliError("--replicas takes 0 to 5", 2);
        return shale::cluster_restore(
            {dir, values["to"].as<std::string>(), absolute_dir(values["target"].as<std::string>()), replicas});
    }
    if (command == "switchover") {
        if (!values.count("group"))
            throw shale::CliError("shale switchover needs --group N (0 for the router group)", 2);
        check_range("--group", values["group"].as<int>(), 0, 64);
        return shale::cluster_switchover({dir, values["group"].as<int>(), values["to"].as<long long>()});
    }
    if (command == "add-group") {
        shale::AddGroupOptions add{dir, std::nullopt};
        if (values.count("replicas")) {
            check_range("--replicas", values["replicas"].as<int>(), 0, 5);
            add.replicas = values["replicas"].as<int>();
        }
        return shale::cluster_add_group(add);
    }
    if (command == "rebalance" || command == "drain") {
        shale::ShardOperationOptions operation;
        operation.dir = dir;
        operation.wait = values.count("wait") > 0;
        operation.timeout_s = values["timeout"].as<int>();
        check_range("--timeout", operation.timeout_s, 0, 1000000);
        if (command == "rebalance")
            return shale::cluster_rebalance(operation);
        if (!values.count("group"))
            throw shale::CliError("shale drain needs --group N (a worker group id, see shale status)", 2);
        operation.group = values["group"].as<int>();
        check_range("--group", operation.group, 1, 1000000);
        operation.remove = values.count("remove") > 0;
        return shale::cluster_drain(operation);
    }
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
