// add_group.cpp — `shale add-group`: creates the next worker group of a running
// local cluster (primary and replicas, made by the same steps as `shale up`),
// registers it with shale.add_node (which copies the reference tables to it),
// records it in cluster.json and restarts shaled so that the daemon knows the
// new data directories too (it reads cluster.json at start, for failover).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>

#include "cli/backup_commands.h"
#include "cli/cli_error.h"
#include "cli/daemon_control.h"
#include "cli/node_control.h"
#include "cli/node_setup.h"
#include "cli/port_allocator.h"
#include "cli/registration.h"
#include "cli/scaling_commands.h"
#include "common/backup_repository.h"
#include "common/backup_tasks.h"
#include "common/os_user.h"

namespace shale {

namespace fs = std::filesystem;

namespace {

void progress(const std::string &message)
{
    std::cout << "shale: " << message << std::endl;
}

// highest_numbered_entry returns the largest N of the entries "groupN" in a
// directory (0 when there is none or the directory does not exist).
int highest_numbered_entry(const std::string &directory)
{
    static const std::regex group_name("group([0-9]{1,6})");
    int highest = 0;
    std::error_code error;
    for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
        std::smatch match;
        const std::string name = it->path().filename().string();
        if (std::regex_match(name, match, group_name))
            highest = std::max(highest, std::stoi(match[1].str()));
    }
    return highest;
}

// next_group_number picks the number of the new group: above every group the
// layout, the catalog, the cluster directory and the backup repository ever
// knew. Numbers are never reused, so a removed group's leftover directory or
// pgBackRest stanza (bound to the old server's system id) never gets in the
// way, and the catalog group id equals the layout number (DIR/groupN, stanza
// groupN, shale.nodes group N all name the same group).
int next_group_number(const ClusterLayout &layout, const PgConnection &router)
{
    int highest = 0;
    for (const auto &node : layout.nodes)
        highest = std::max(highest, node.group);
    std::string error;
    auto catalog_max = router.query_value("SELECT coalesce(max(group_id), 0) FROM shale.node_group", &error);
    if (!catalog_max)
        throw CliError("cannot read shale.node_group on the router: " + error);
    highest = std::max(highest, std::stoi(*catalog_max));
    highest = std::max(highest, highest_numbered_entry(layout.dir));
    BackupPaths paths(layout.dir);
    highest = std::max(highest, highest_numbered_entry(paths.repo + "/archive"));
    highest = std::max(highest, highest_numbered_entry(paths.repo + "/backup"));
    return highest + 1;
}

// backups_configured tells whether `shale up` set up pgBackRest for this
// cluster (clusters made before backups existed have no configuration).
bool backups_configured(const ClusterLayout &layout)
{
    return access(BackupPaths(layout.dir).config_file.c_str(), R_OK) == 0;
}

// setup_group_backups is setup_backups (cluster_backup.cpp) for one new group:
// the pgBackRest configuration is rewritten from the grown layout (it gains
// the new stanza), and only the new group's stanza is created, offline from
// pg_control, before its first start, so it archives WAL from its first
// segment on. The existing stanzas are left alone: their servers are running.
void setup_group_backups(const ClusterLayout &grown, int group, const OsUser &user)
{
    prepare_backup_repository(grown, user);
    std::vector<StanzaCommand> commands;
    for (auto &command : stanza_create_commands(grown, true))
        if (command.stanza == stanza_name(group))
            commands.push_back(std::move(command));
    const std::vector<StanzaCommand> results = run_stanza_commands(std::move(commands), user);
    for (const auto &finished : results)
        if (finished.exit_code != 0)
            throw CliError("pgbackrest stanza-create for " + finished.stanza + " failed (exit code " +
                           std::to_string(finished.exit_code) + "):\n" + finished.output_tail());
}

// undo_new_group stops what a failed add-group started and removes the new
// group's fresh data directories (they hold nothing yet: registration is one
// transaction, and it did not commit). The pgBackRest configuration goes back
// to the old layout. Best effort: the original error is what the user sees.
void undo_new_group(const ClusterLayout &layout, const ClusterLayout &grown, const std::vector<NodeSpec> &added,
                    NodeControl &control, const OsUser &user, const std::string &group_dir)
{
    try {
        std::vector<NodeSpec> running;
        for (const auto &node : added)
            if (NodeControl::postmaster_pid(node))
                running.push_back(node);
        if (!running.empty())
            control.stop(running);  // throws: the data directories are then kept
        for (const auto &node : added)
            fs::remove_all(node.data_dir);
        std::error_code error;
        fs::remove(group_dir, error);  // only when empty
        if (backups_configured(grown))
            prepare_backup_repository(layout, user);
    } catch (const std::exception &error) {
        std::cerr << "shale: warning: clean-up after the failure was incomplete: " << error.what() << "\n";
    }
}

}  // namespace

int cluster_add_group(const AddGroupOptions &options)
{
    ClusterLayout layout = load_cluster_or_fail(options.dir);
    if (extension_disabled())
        throw CliError("shale add-group needs the shale extension (SHALE_NO_EXTENSION=1 is set)");
    if (layout.on_hosts())
        throw CliError("shale add-group does not place groups on hosts yet (docs/multi-host.md, limits); the "
                       "cluster in " + options.dir + " runs over " + std::to_string(layout.hosts.size()) + " hosts");
    OsUser user = server_user();
    if (layout.os_user != user.name)
        throw CliError("the cluster in " + options.dir + " runs as OS user " + layout.os_user + ", not " + user.name +
                       "; run shale as that user (or as root)");
    LayoutChangeLock lock(options.dir);
    layout = load_cluster_or_fail(options.dir);  // as it is now that we hold the lock
    PgConnection router = connect_router_or_fail(layout);
    check_extension_installed();

    const int replicas = options.replicas.value_or(layout.replicas);
    const int group = next_group_number(layout, router);
    int highest_port = 0;
    for (const auto &node : layout.nodes)
        highest_port = std::max(highest_port, node.port);
    // the next free ports after the cluster's own, as `shale up` numbers its nodes
    std::vector<int> ports = allocate_ports(highest_port + 1, false, replicas + 1);
    ClusterLayout grown = layout;
    std::vector<NodeSpec> added = grown.add_worker_group(group, replicas, ports);
    progress("adding worker group " + std::to_string(group) + " to " + options.dir + ": primary on port " +
             std::to_string(ports[0]) + ", " + std::to_string(replicas) + " replica(s)" +
             (replicas > 0 ? (layout.synchronous ? ", synchronous replication" : ", ASYNC replication") : ""));

    const std::string group_dir = options.dir + "/group" + std::to_string(group);
    fs::create_directories(group_dir);
    if (user.switch_needed)
        chown_tree(group_dir, user);

    NodeControl control(grown, user);
    try {
        NewNodes nodes;
        for (const auto &node : added)
            (node.is_primary() ? nodes.primaries : nodes.replicas).push_back(node);
        nodes.only_group = group;
        if (backups_configured(layout))
            nodes.setup_backups = [&] { setup_group_backups(grown, group, user); };
        nodes.progress = progress;
        create_and_start_nodes(grown, control, nodes);  // the same steps as `shale up`
        progress("registering the group (shale.add_node copies the reference tables to it)");
        register_group(grown, group, grown.router_conninfo("shale_cli"));
    } catch (...) {
        undo_new_group(layout, grown, added, control, user, group_dir);
        std::cerr << "shale: adding worker group " << group << " failed; its servers were stopped and its data "
                  << "directories removed (logs stay in " << layout.log_dir() << ")\n";
        throw;
    }
    grown.save();

    // shaled reads cluster.json when it starts (data directories for fencing
    // and rejoining replicas after a failover): restart it so it knows the
    // new group. A shard move it was running rolls back cleanly and is redone.
    if (stop_daemon(grown)) {
        pid_t pid = start_daemon(grown);
        progress("restarted shaled (pid " + std::to_string(pid) + ") so that it manages the new group too");
    } else {
        progress("warning: shaled is not running; start it with: shale up --dir " + options.dir);
    }

    auto reference_tables = router.query_value(
        "SELECT count(*) FROM shale.placement p JOIN shale.shard s ON s.shard_id = p.shard_id "
        "JOIN shale.distributed_table d ON d.table_id = s.table_id AND d.kind = 'reference' "
        "WHERE p.group_id = " + std::to_string(group));
    auto auto_scaling = router.query_value("SELECT current_setting('shale.auto_scaling')");
    progress("worker group " + std::to_string(group) + " added (" + std::to_string(added.size()) + " node(s), " +
             reference_tables.value_or("?") + " reference table(s) copied)");
    if (auto_scaling && *auto_scaling == "on")
        progress("hint: shaled spreads shards onto the new group by itself within seconds (shale.auto_scaling is "
                 "on); watch with: shale status --dir " + options.dir);
    else
        progress("hint: shale.auto_scaling is off: move shards onto the new group with: shale rebalance --wait --dir " +
                 options.dir);
    std::cout << group << std::endl;
    return 0;
}

}  // namespace shale
