// cluster_up.cpp — `shale up`: creates a new local cluster (initdb, replicas,
// extension, node registration, shaled) or starts the stopped parts of an
// existing one, and prints the cluster URI as the last line.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/backup_commands.h"
#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/daemon_control.h"
#include "cli/host_cluster.h"
#include "cli/node_control.h"
#include "cli/node_setup.h"
#include "common/tls_authority.h"
#include "cli/port_allocator.h"
#include "cli/registration.h"
#include "common/os_user.h"

namespace shale {

namespace fs = std::filesystem;

// progress prints one progress line (to stdout, flushed, so it shows up live).
static void progress(const std::string &message)
{
    std::cout << "shale: " << message << std::endl;
}

// partial_cluster_exists tells whether dir holds node directories of an earlier
// `shale up` that never wrote cluster.json.
static bool partial_cluster_exists(const std::string &dir)
{
    std::error_code error;
    if (fs::exists(dir + "/router", error) || fs::exists(dir + "/logs", error))
        return true;
    for (int group = 1; group <= 64; group++)
        if (fs::exists(dir + "/group" + std::to_string(group), error))
            return true;
    return false;
}

static std::vector<NodeSpec> select_nodes(const ClusterLayout &layout, bool primaries)
{
    std::vector<NodeSpec> selected;
    for (const auto &node : layout.nodes)
        if (node.is_primary() == primaries)
            selected.push_back(node);
    return selected;
}

// stop_running_nodes stops what a failed `shale up` left running (best effort).
static void stop_running_nodes(const ClusterLayout &layout, NodeControl &control)
{
    control.stop_running(layout.nodes);
}

// create_cluster builds a new cluster in options.dir.
static ClusterLayout create_cluster(const UpOptions &options, const OsUser &user)
{
    const int node_count = (options.workers + 1) * (options.replicas + 1);
    std::vector<int> ports = allocate_ports(options.port, options.port_given, node_count);
    ClusterLayout layout =
        ClusterLayout::plan(options.dir, user.name, options.workers, options.replicas, !options.async, ports);
    layout.tls_dir = options.tls_dir.empty() ? options.dir + "/tls" : options.tls_dir;
    progress("creating a cluster in " + options.dir + ": router + " + std::to_string(options.workers) +
             " worker group(s), " + std::to_string(options.replicas) + " replica(s) each, " +
             (options.async ? "ASYNC" : "synchronous") + " replication" +
             (user.switch_needed ? ", servers run as OS user " + user.name : ""));

    fs::create_directories(layout.log_dir());
    for (int group = 0; group <= options.workers; group++)
        fs::create_directories(options.dir + "/" + (group == 0 ? "router" : "group" + std::to_string(group)));
    if (user.switch_needed) {
        chown_tree(options.dir, user);
        for (const auto &parent : make_parents_traversable(options.dir, user))
            progress("notice: added o+x to " + parent + " so that user " + user.name + " can reach " + options.dir);
    }

    NodeControl control(layout, user);
    try {
        ensure_certificate_authority(layout.tls_dir, user);
        NewNodes nodes;
        nodes.primaries = select_nodes(layout, true);
        nodes.replicas = select_nodes(layout, false);
        // pgBackRest config and stanzas; shaled takes the first backup
        nodes.setup_backups = [&] { setup_backups(layout, user); };
        nodes.progress = progress;
        create_and_start_nodes(layout, control, nodes);  // shared with `shale add-group`
        if (!extension_disabled()) {
            progress("registering nodes");
            register_nodes(layout);
        } else {
            progress("SHALE_NO_EXTENSION=1: skipping the extension and node registration");
        }
        layout.save();
    } catch (...) {
        stop_running_nodes(layout, control);
        std::cerr << "shale: cluster creation failed; the servers it started were stopped. Remove " << options.dir
                  << " before trying again.\n";
        throw;
    }
    return layout;
}

// warn_about_ignored_flags tells the user when flags differ from the existing cluster.
static void warn_about_ignored_flags(const UpOptions &options, const ClusterLayout &layout)
{
    std::string differences;
    if (options.workers_given && options.workers != layout.workers)
        differences += " --workers " + std::to_string(options.workers) + " (cluster has " +
                       std::to_string(layout.workers) + ")";
    if (options.replicas_given && options.replicas != layout.replicas)
        differences += " --replicas " + std::to_string(options.replicas) + " (cluster has " +
                       std::to_string(layout.replicas) + ")";
    if (options.port_given && options.port != layout.router_primary().port)
        differences += " --port " + std::to_string(options.port) + " (cluster uses " +
                       std::to_string(layout.router_primary().port) + ")";
    if (options.async == layout.synchronous)
        differences += std::string(" --async ") + (options.async ? "given" : "not given") + " (cluster is " +
                       (layout.synchronous ? "synchronous" : "async") + ")";
    if (!differences.empty())
        progress("warning: the cluster in " + layout.dir + " already exists; ignoring" + differences);
}

// start_existing_cluster starts whatever is not running of an existing cluster.
static void start_existing_cluster(const UpOptions &options, ClusterLayout &layout, const OsUser &user)
{
    warn_about_ignored_flags(options, layout);
    std::unique_ptr<NodeOperations> control = node_operations_for(layout, user);
    std::vector<NodeSpec> stopped;
    for (const auto &node : layout.nodes)
        if (!control->is_running(node))
            stopped.push_back(node);
    if (!stopped.empty()) {
        progress("starting " + std::to_string(stopped.size()) + " stopped node(s)");
        control->start(stopped);
    }
    if (!extension_disabled() && !stopped.empty()) {
        create_extensions(layout);
        if (register_nodes(layout))
            progress("registered the nodes in the catalog");
    }
    if (!daemon_pid(layout)) {
        pid_t pid = start_daemon(layout);
        progress("started shaled (pid " + std::to_string(pid) + "), HTTP API on " + layout.http_address());
    } else if (stopped.empty()) {
        progress("cluster in " + layout.dir + " is already running");
    }
}

int cluster_up(const UpOptions &options)
{
    const auto started = std::chrono::steady_clock::now();
    OsUser user = server_user();
    auto existing = ClusterLayout::load(options.dir);
    ClusterLayout layout;
    if (existing) {
        layout = *existing;
        if (layout.os_user != user.name)
            throw CliError("the cluster in " + options.dir + " runs as OS user " + layout.os_user + ", not " +
                           user.name + "; run shale as that user (or as root)");
        start_existing_cluster(options, layout, user);
    } else {
        if (partial_cluster_exists(options.dir))
            throw CliError(options.dir + " holds a partly created cluster (an earlier `shale up` did not finish: "
                           "there is no cluster.json). Stop any server still running there (pg_ctl stop -D <data "
                           "dir>), remove the directory (rm -rf " + options.dir + ") and run shale up again.");
        check_extension_installed();
        layout = options.hosts.empty() ? create_cluster(options, user) : create_cluster_on_hosts(options, user);
        pid_t pid = start_daemon(layout);
        progress("started shaled (pid " + std::to_string(pid) + "), log in " + layout.daemon_log() +
                 ", HTTP API on " + layout.http_address());
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        progress("cluster ready in " + std::to_string(elapsed.count() / 1000.0).substr(0, 4) + " s");
    }
    if (!layout.synchronous)
        progress("warning: replication is ASYNC: a failover can lose acknowledged commits");
    // the operator's URI carries the superuser's password (also in DIR/pgpass)
    std::cout << layout.uri_with_password() << std::endl;
    return 0;
}

}  // namespace shale
