// main.cpp — entry point of the shale CLI: picks the subcommand (up, down,
// status, uri), parses and validates its flags, and maps errors to exit codes
// (2 for bad usage, 1 for failures).
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <tuple>

#include "cli/agent_command.h"
#include "cli/api_client.h"
#include "cli/api_commands.h"
#include "cli/backup_commands.h"
#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/scaling_commands.h"
#include "cli/switchover.h"
#include "common/cluster_password.h"
#include "common/process.h"
#include "control_plane/serve_command.h"
#include "cli/branch_commands.h"
#include "control_plane/portal_files.h"
#include "control_plane/templates.h"
#include "import/import_commands.h"

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
    "  insights what the query patterns did [--window 15m|1h|24h|7d] [--json]; advice | apply ID | dismiss ID\n"
    "           (docs/insights.md)\n"
    "\n"
    "  import   move a live PostgreSQL database onto Shale: inspect | plan | start | status | cutover | abort\n"
    "           (docs/import.md)\n"
    "\n"
    "Several machines (docs/multi-host.md):\n"
    "  agent    run the agent of this host: --listen ADDR:PORT --dir DIR --token-file FILE\n"
    "  up --host ADDR:PORT ... (or --hosts FILE) --agent-token-file FILE   one cluster over the agents\n"
    "\n"
    "Control plane (docs/control-plane.md):\n"
    "  serve    run the control plane: the /v1 API, its state in PostgreSQL [--dir DIR] [--port PORT]\n"
    "  login    save the API address and a token: --api URL [--token TOKEN]\n"
    "  db       create | list | show | connect | delete | undelete databases through the API\n"
    "  role     create | reset | delete | list the roles of a database\n"
    "  token    create | list | revoke API tokens\n"
    "\n"
    "Run `shale <command> --help` for the options of a command.\n"
    "\n"
    "Developer options (environment):\n"
    "  SHALE_NO_EXTENSION=1  start plain PostgreSQL nodes: no shared_preload_libraries,\n"
    "                        no CREATE EXTENSION, no node registration\n"
    "  SHALE_PG_BINDIR=DIR   PostgreSQL 15 binaries (default /usr/lib/postgresql/15/bin)\n"
    "  SHALED_BIN=PATH       shaled executable (default: next to shale, then PATH)\n"
    "  SHALE_INSIGHTS_INTERVAL_S=N  seconds between shaled's query-insights snapshots (5..3600, default 60)\n";

// parse_command_options parses a command's flags into values; a bad flag is a
// usage error (exit 2). Returns false when --help was asked for (the usage
// line and the options are printed then).
bool parse_command_options(const std::vector<std::string> &arguments, const po::options_description &options,
                           const std::string &usage, const std::string &command, po::variables_map &values)
{
    try {
        po::store(po::command_line_parser(arguments).options(options).run(), values);
        po::notify(values);
    } catch (const po::error &error) {
        throw shale::CliError(std::string(error.what()) + "\nTry \"shale " + command + " --help\".", 2);
    }
    if (values.count("help")) {
        std::cout << "Usage: " << usage << "\n\n" << options << "\n";
        return false;
    }
    return true;
}

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

// run_serve_command parses the flags of `shale serve` and runs it.
int run_serve_command(const std::vector<std::string> &arguments)
{
    po::options_description options("Options for `shale serve`");
    options.add_options()
        ("help,h", "show this help")
        ("dir", po::value<std::string>()->default_value("./.shale-serve"), "serve directory: state, databases, logs")
        ("port", po::value<int>()->default_value(8420), "API port")
        ("bind", po::value<std::string>()->default_value("127.0.0.1"), "API address (IPv4)")
        ("state", po::value<std::string>(), "libpq URI of an existing state database (default: an embedded "
                                            "instance under DIR/state)")
        ("templates", po::value<std::string>(), "templates directory (default: the repository's templates/)")
        ("portal", po::value<std::string>(), "the built portal served at / (default: the repository's portal/dist, "
                                             "else /usr/local/share/shale/portal)")
        ("rate-limit", po::value<double>()->default_value(50), "requests per second per token")
        ("auth-failure-burst", po::value<double>()->default_value(20), "failed authentications from one address "
                                                                       "before 429s (then 1 per second)")
        ("grace-period", po::value<int>()->default_value(7 * 24 * 3600), "seconds a deleted database can be "
                                                                           "undeleted")
        ("max-parallel", po::value<int>()->default_value(5), "operations run at once")
        ("storage-interval", po::value<int>()->default_value(60), "seconds between measurements of every "
                                                                   "database's storage")
        ("revert-window", po::value<int>()->default_value(1800), "seconds a deploy request can be reverted after "
                                                                 "its deploy")
        ("database-ports", po::value<std::string>()->default_value("21000-31000"),
         "the TCP ports databases take blocks of (FIRST-LAST)")
        ("token-file", po::value<std::string>(), "also write the first admin token to this file (mode 0600)")
        ("log-file", po::value<std::string>(), "log here instead of stderr");
    po::variables_map values;
    if (!parse_command_options(arguments, options, "shale serve [options]", "serve", values))
        return 0;
    shale::ServeOptions serve;
    serve.config.dir = absolute_dir(values["dir"].as<std::string>());
    serve.config.port = values["port"].as<int>();
    check_range("--port", serve.config.port, 1, 65535);
    serve.config.bind_address = values["bind"].as<std::string>();
    if (values.count("state"))
        serve.config.state_uri = values["state"].as<std::string>();
    serve.config.templates_dir =
        values.count("templates") ? absolute_dir(values["templates"].as<std::string>()) : shale::find_templates_dir();
    serve.config.portal_dir =
        values.count("portal") ? absolute_dir(values["portal"].as<std::string>()) : shale::find_portal_dir();
    serve.config.rate_per_second = values["rate-limit"].as<double>();
    if (serve.config.rate_per_second < 0.1 || serve.config.rate_per_second > 100000)
        throw shale::CliError("--rate-limit takes 0.1 to 100000 requests per second", 2);
    serve.config.rate_burst = std::max(10.0, serve.config.rate_per_second * 2);
    serve.config.auth_failure_burst = values["auth-failure-burst"].as<double>();
    if (serve.config.auth_failure_burst < 1 || serve.config.auth_failure_burst > 1000000)
        throw shale::CliError("--auth-failure-burst takes 1 to 1000000", 2);
    serve.config.grace_period_s = values["grace-period"].as<int>();
    check_range("--grace-period", serve.config.grace_period_s, 0, 365 * 24 * 3600);
    serve.config.max_parallel_operations = values["max-parallel"].as<int>();
    check_range("--max-parallel", serve.config.max_parallel_operations, 1, 64);
    serve.config.storage_interval_s = values["storage-interval"].as<int>();
    check_range("--storage-interval", serve.config.storage_interval_s, 1, 86400);
    serve.config.revert_window_s = values["revert-window"].as<int>();
    check_range("--revert-window", serve.config.revert_window_s, 1, 7 * 24 * 3600);
    std::string ports = values["database-ports"].as<std::string>();
    int first_port = 0, last_port = 0;
    char dash = 0;
    std::istringstream port_range(ports);
    if (!(port_range >> first_port >> dash >> last_port) || dash != '-' || !port_range.eof() || first_port < 1024 ||
        last_port > 65535 || last_port - first_port < 20)
        throw shale::CliError("--database-ports takes FIRST-LAST, e.g. 21000-31000 (1024 to 65535, at least 20 ports)", 2);
    serve.config.database_port_first = first_port;
    serve.config.database_port_last = last_port;
    serve.config.shale_binary = shale::executable_dir() + "/shale";
    if (values.count("token-file"))
        serve.token_file = values["token-file"].as<std::string>();
    if (values.count("log-file"))
        serve.log_file = values["log-file"].as<std::string>();
    return shale::run_serve(serve);
}

// split_endpoint reads ADDR:PORT (an IPv4 address and a port) or throws a usage error.
std::pair<std::string, int> split_endpoint(const std::string &flag, const std::string &endpoint)
{
    size_t colon = endpoint.rfind(':');
    int port = 0;
    try {
        port = colon == std::string::npos ? 0 : std::stoi(endpoint.substr(colon + 1));
    } catch (const std::exception &) {
    }
    std::string address = colon == std::string::npos ? "" : endpoint.substr(0, colon);
    int a, b, c, d;
    char tail;
    if (port < 1 || port > 65535 || std::sscanf(address.c_str(), "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) != 4 ||
        a < 0 || a > 255 || b < 0 || b > 255 || c < 0 || c > 255 || d < 0 || d > 255)
        throw shale::CliError(flag + " takes IPV4ADDRESS:PORT (got \"" + endpoint + "\")", 2);
    if (address == "0.0.0.0")
        throw shale::CliError(flag + " needs the host's own address, not 0.0.0.0: its nodes listen there", 2);
    return {address, port};
}

// run_agent_command parses the flags of `shale agent` and runs it.
int run_agent_command(const std::vector<std::string> &arguments)
{
    po::options_description options("Options for `shale agent`");
    options.add_options()
        ("help,h", "show this help")
        ("listen", po::value<std::string>(), "ADDR:PORT to serve HTTPS on; this host's nodes listen on ADDR")
        ("dir", po::value<std::string>()->default_value("./.shale-agent"), "agent directory: nodes, logs, TLS key")
        ("token-file", po::value<std::string>(), "the cluster's agent token (created, mode 0600, when missing)")
        ("log-file", po::value<std::string>(), "log here instead of stderr");
    po::variables_map values;
    if (!parse_command_options(arguments, options, "shale agent --listen ADDR:PORT --dir DIR --token-file FILE",
                               "agent", values))
        return 0;
    if (!values.count("listen") || !values.count("token-file"))
        throw shale::CliError("shale agent needs --listen ADDR:PORT and --token-file FILE", 2);
    shale::AgentOptions agent;
    std::tie(agent.listen_address, agent.listen_port) = split_endpoint("--listen", values["listen"].as<std::string>());
    agent.dir = absolute_dir(values["dir"].as<std::string>());
    agent.token_file = values["token-file"].as<std::string>();
    if (values.count("log-file"))
        agent.log_file = values["log-file"].as<std::string>();
    return shale::run_agent(agent);
}

// read_hosts_file reads one ADDR:PORT per line ('#' starts a comment).
std::vector<std::string> read_hosts_file(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        throw shale::CliError("cannot read the hosts file " + path, 2);
    std::vector<std::string> hosts;
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        std::stringstream words(line);
        std::string word;
        while (words >> word)
            hosts.push_back(word);
    }
    return hosts;
}

int run_command(const std::string &command, const std::vector<std::string> &arguments)
{
    if (command == "agent")
        return run_agent_command(arguments);
    if (command == "serve")
        return run_serve_command(arguments);
    if (command == "db")
        return shale::db_command(arguments);
    if (command == "branch")
        return shale::branch_command(arguments);
    if (command == "deploy-request")
        return shale::deploy_request_command(arguments);
    if (command == "role")
        return shale::role_command(arguments);
    if (command == "token")
        return shale::token_command(arguments);
    if (command == "login")
        return shale::login_command(arguments);
    if (command == "import")
        return shale::import::import_command(arguments);
    if (command == "insights")
        return shale::insights_command(arguments);
    po::options_description options("Options for `shale " + command + "`");
    options.add_options()("help,h", "show this help")(
        "dir", po::value<std::string>()->default_value("./.shale"), "cluster directory");
    if (command == "up") {
        options.add_options()
            ("port", po::value<int>(), "router port (default: first free port from 5432)")
            ("workers", po::value<int>()->default_value(2), "number of worker groups (1..64)")
            ("replicas", po::value<int>()->default_value(1), "streaming replicas per primary, router too (0..5)")
            ("async", "asynchronous replication (a failover can lose acknowledged commits)")
            ("tls-dir", po::value<std::string>(), "certificate authority that signs the nodes' certificates "
                                                  "(made there if missing; default DIR/tls)")
            ("host", po::value<std::vector<std::string>>(), "ADDR:PORT of a host's `shale agent` (repeat it; "
                                                            "docs/multi-host.md)")
            ("hosts", po::value<std::string>(), "file with one ADDR:PORT of an agent per line")
            ("agent-token-file", po::value<std::string>(), "the agents' token file (with --host)");
    } else if (command == "backup") {
        options.add_options()("kind", po::value<std::string>()->default_value("full"), "full, diff or incr");
    } else if (command == "restore") {
        options.add_options()
            ("to", po::value<std::string>(), "restore point name, or UTC time \"YYYY-MM-DD HH:MM:SS\"")
            ("target", po::value<std::string>(), "directory of the new cluster (must not exist)")
            ("replicas", po::value<int>(), "replicas per group in the new cluster (0..5; default: as the source)")
            ("port", po::value<int>(), "first port of the new nodes (default: above the source's)");
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
    if (!parse_command_options(arguments, options, "shale " + command + " [options]", command, values))
        return 0;
    const std::string dir = absolute_dir(values["dir"].as<std::string>());
    // every node asks for the cluster's password; the tools and servers we start read it here
    shale::use_password_file(shale::cluster_password_file(dir));
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
        int first_port = values.count("port") ? values["port"].as<int>() : 0;
        if (values.count("port"))
            check_range("--port", first_port, 1, 65535);
        return shale::cluster_restore({dir, values["to"].as<std::string>(),
                                       absolute_dir(values["target"].as<std::string>()), replicas, first_port});
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
    if (values.count("tls-dir"))
        up.tls_dir = absolute_dir(values["tls-dir"].as<std::string>());
    if (values.count("port")) {
        up.port = values["port"].as<int>();
        up.port_given = true;
        check_range("--port", up.port, 1, 65535);
    }
    check_range("--workers", up.workers, 1, 64);
    check_range("--replicas", up.replicas, 0, 5);
    if (values.count("host"))
        up.hosts = values["host"].as<std::vector<std::string>>();
    if (values.count("hosts"))
        for (const auto &host : read_hosts_file(values["hosts"].as<std::string>()))
            up.hosts.push_back(host);
    for (const auto &host : up.hosts)
        split_endpoint("--host", host);
    if (values.count("agent-token-file"))
        up.agent_token_file = values["agent-token-file"].as<std::string>();
    if (!up.hosts.empty() && up.agent_token_file.empty())
        throw shale::CliError("shale up --host needs --agent-token-file FILE (the token the agents were started with)",
                              2);
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
