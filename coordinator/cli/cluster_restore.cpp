// cluster_restore.cpp — `shale restore --to <restore point | time> --target NEWDIR`:
// builds a new, running cluster from the source cluster's pgBackRest repository,
// every group recovered to the same restore point or time. The source cluster
// is only read: the new cluster archives into its own repository under NEWDIR.
//
// Steps: pick each group's backup set (the latest one that ends before the
// target), `pgbackrest restore` every group in parallel into NEWDIR, point each
// node at new ports and at NEWDIR's repository, start them (recovery to the
// target, then promotion), rewrite shale.node on the restored router to the new
// ports, finish in-doubt prepared transactions, create the new stanzas, add
// replicas (as many as the source has, or --replicas), write cluster.json, start
// shaled, print the URI.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <thread>

#include "cli/backup_commands.h"
#include "cli/cli_error.h"
#include "common/cluster_password.h"
#include "cli/daemon_control.h"
#include "cli/node_control.h"
#include "cli/port_allocator.h"
#include "cli/registration.h"
#include "common/backup_repository.h"
#include "common/backup_tasks.h"
#include "common/cluster_restore_point.h"
#include "common/os_user.h"
#include "common/process.h"

namespace shale {

namespace fs = std::filesystem;
using nlohmann::json;

// progress prints one step with the seconds since the restore began.
static void progress(const std::string &message)
{
    static const auto began = std::chrono::steady_clock::now();
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%6.1f s", elapsed.count() / 1000.0);
    std::cout << "shale: [" << seconds << "] " << message << std::endl;
}

// RestoreTarget is what --to means: a restore point name or a UTC time.
struct RestoreTarget {
    bool is_time = false;
    std::string text;        // the name, or the time normalised to "YYYY-MM-DD HH:MM:SS[.frac]+00"
    std::time_t epoch = 0;   // the time, whole seconds (for choosing backup sets)
};

// parse_target reads --to: "YYYY-MM-DD HH:MM:SS[.fraction][+00|Z| UTC]" is a
// time (in UTC; other zones are refused rather than guessed), anything else a
// restore point name.
static RestoreTarget parse_target(const std::string &to)
{
    RestoreTarget target;
    static const std::regex time_pattern(
        R"(^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?\s*(\+00(:00)?|Z|UTC)?$)");
    std::smatch match;
    if (!std::regex_match(to, match, time_pattern)) {
        if (std::regex_search(to, std::regex(R"(^\d{4}-\d{2}-\d{2})")))
            throw CliError("--to " + to + ": give a time as \"YYYY-MM-DD HH:MM:SS\" in UTC (optionally +00)", 2);
        check_restore_point_name(to);
        target.text = to;
        return target;
    }
    target.is_time = true;
    target.text = match[1].str() + " " + match[2].str() + match[3].str() + "+00";
    std::tm parts{};
    std::string whole = match[1].str() + " " + match[2].str();
    if (strptime(whole.c_str(), "%Y-%m-%d %H:%M:%S", &parts) == nullptr)
        throw CliError("--to " + to + ": not a valid time", 2);
    target.epoch = timegm(&parts);
    return target;
}

// choose_backup_sets picks, for every group, the latest backup that ended before
// the target: before the restore point's LSN on that group, or before the time.
static std::map<std::string, std::string> choose_backup_sets(const ClusterLayout &source, const RestoreTarget &target,
                                                             const std::vector<BackupSet> &sets,
                                                             const std::vector<json> &restore_points)
{
    std::map<std::string, uint64_t> point_lsn;  // stanza -> LSN of the named point
    std::time_t point_time = 0;
    if (!target.is_time) {
        for (const auto &point : restore_points)
            if (point.value("name", "") == target.text) {
                point_time = point.value("time", static_cast<std::time_t>(0));
                for (const auto &mark : point.value("marks", json::array()))
                    point_lsn[mark.value("stanza", "")] = parse_lsn(mark.value("lsn", ""));
            }
        if (point_lsn.empty())
            progress("warning: restore point " + target.text + " is neither in " +
                     BackupPaths(source.dir).restore_points_file +
                     " nor in the router's shale.restore_point; using each group's latest backup");
    }
    std::map<std::string, std::string> chosen;
    for (int group : layout_groups(source)) {
        const std::string stanza = stanza_name(group);
        const BackupSet *best = nullptr;
        for (const auto &set : sets) {
            if (set.stanza != stanza)
                continue;
            bool before = true;
            if (target.is_time)
                before = set.stop_time < target.epoch;
            else if (point_lsn.count(stanza))
                before = parse_lsn(set.lsn_stop) <= point_lsn[stanza];
            else if (point_time != 0)
                before = set.stop_time <= point_time;
            if (before && (best == nullptr || set.stop_time >= best->stop_time))
                best = &set;
        }
        if (best == nullptr)
            throw CliError("no backup of " + stanza + " ended before " + target.text +
                           " (see `shale backups`); a restore needs a backup taken before its target");
        chosen[stanza] = best->label;
    }
    return chosen;
}

// check_target_dir refuses a target that exists and is not empty, or the source.
static void check_target_dir(const std::string &source, const std::string &target)
{
    if (target == source || target.rfind(source + "/", 0) == 0)
        throw CliError("--target must be a new directory outside the source cluster " + source, 2);
    std::error_code error;
    if (fs::exists(target, error) && !fs::is_empty(target, error))
        throw CliError("--target " + target + " exists and is not empty; a restore builds a new cluster", 2);
}

// append_settings appends lines to a file we do not own (the owner stays).
static void append_settings(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::app);
    out << text;
    if (!out)
        throw CliError("could not write " + path);
}

// wait_until_promoted waits for a restored node to finish recovery and accept
// writes; throws with the end of its log when it stops or takes too long.
static void wait_until_promoted(const ClusterLayout &layout, const NodeSpec &node, std::chrono::seconds limit)
{
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        PgConnection connection =
            PgConnection::connect(node_conninfo("127.0.0.1", node.port) + " connect_timeout=5 application_name=shale_cli");
        if (connection.ok() && connection.query_value("SELECT pg_is_in_recovery()") == std::optional<std::string>("f"))
            return;
        if (!NodeControl::postmaster_pid(node))
            throw CliError("the restored " + node.name + " stopped during recovery; end of " + layout.node_log(node) +
                           ":\n" + tail_file(layout.node_log(node), 15));
        if (std::chrono::steady_clock::now() > deadline)
            throw CliError("the restored " + node.name + " did not finish recovery in " +
                           std::to_string(limit.count()) + " s; see " + layout.node_log(node));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// rewrite_catalog points shale.node of the restored router at the new ports:
// each group's primary gets its new port, replicas (not rebuilt) are removed.
// The group of a catalog row is found through its old port in the source's
// cluster.json, so a failover that swapped roles before the backup is handled.
static void rewrite_catalog(const ClusterLayout &source, const ClusterLayout &restored)
{
    const NodeSpec &router_node = restored.router_primary();
    PgConnection router = PgConnection::connect(node_conninfo("127.0.0.1", router_node.port) +
                                                " connect_timeout=10 application_name=shale_restore");
    if (!router.ok())
        throw CliError("cannot connect to the restored router: " + router.error_message());
    auto run = [&](const std::string &sql, const std::vector<std::string> &params = {}) {
        PgResult result = params.empty() ? router.exec(sql) : router.exec_params(sql, params);
        if (!result.ok())
            throw CliError("on the restored router: " + sql + ": " + result.error_message());
        return result;
    };
    run("BEGIN");
    PgResult primaries = run("SELECT node_id, port FROM shale.node WHERE role = 'primary'");
    for (int row = 0; row < primaries.rows(); row++) {
        int old_port = std::stoi(primaries.value(row, 1));
        const NodeSpec *old_node = nullptr;
        for (const auto &node : source.nodes)
            if (node.port == old_port)
                old_node = &node;
        if (old_node == nullptr)
            throw CliError("shale.node lists a primary on port " + std::to_string(old_port) +
                           " that the source cluster.json does not know");
        int new_port = restored.primary_of(*old_node).port;
        run("UPDATE shale.node SET port = $1, state = 'unknown' WHERE node_id = $2",
            {std::to_string(new_port), primaries.value(row, 0)});
    }
    run("DELETE FROM shale.node WHERE role = 'replica'");
    run("INSERT INTO shale.event (kind, detail) VALUES ('cluster_restored', $1)", {"restored from " + source.dir});
    run("COMMIT");
    // in-doubt prepared transactions: finished now from the restored commit records
    PgResult recovered = run("SELECT shale.recover_prepared_transactions()");
    if (recovered.value(0, 0) != "0")
        progress("finished " + recovered.value(0, 0) + " prepared transaction(s) left in doubt at the target");
}

// clear_recovery_settings removes from a promoted node what `pgbackrest restore`
// wrote for its recovery (the target, and a restore_command reading the source's
// repository), and points restore_command at the new cluster's own archive:
// replicas copy these settings with their base backup.
static void clear_recovery_settings(const ClusterLayout &restored, const NodeSpec &node)
{
    PgConnection connection = PgConnection::connect(node_conninfo("127.0.0.1", node.port) +
                                                    " connect_timeout=10 application_name=shale_restore");
    if (!connection.ok())
        throw CliError("cannot connect to the restored " + node.name + ": " + connection.error_message());
    std::string restore_command = replica_archive_settings(restored, node.group);
    restore_command.pop_back();  // a postgresql.conf line is valid SQL after ALTER SYSTEM SET (same quoting)
    for (const std::string &sql :
         {std::string("ALTER SYSTEM RESET recovery_target_name"), std::string("ALTER SYSTEM RESET recovery_target_time"),
          std::string("ALTER SYSTEM RESET recovery_target_action"), std::string("ALTER SYSTEM RESET recovery_target"),
          "ALTER SYSTEM SET " + restore_command, std::string("SELECT pg_reload_conf()")}) {
        PgResult result = connection.exec(sql);
        if (!result.ok())
            throw CliError("on the restored " + node.name + ": " + sql + ": " + result.error_message());
    }
}

// add_replicas gives every group of the restored cluster `replicas` streaming
// replicas (base backups of the restored primaries), registers them and turns
// synchronous replication on as the source had it, so the new cluster fails
// over like the old one.
static void add_replicas(ClusterLayout &restored, int replicas, NodeControl &control, const OsUser &user)
{
    int highest_port = 0;
    for (const auto &node : restored.nodes)
        highest_port = std::max(highest_port, node.port);
    const std::vector<int> groups = layout_groups(restored);
    const std::vector<int> ports = allocate_ports(highest_port + 1, false, static_cast<int>(groups.size()) * replicas);
    std::vector<NodeSpec> added;
    for (size_t index = 0; index < groups.size(); index++) {
        std::vector<int> group_ports(ports.begin() + index * replicas, ports.begin() + (index + 1) * replicas);
        for (const auto &node : restored.add_replicas(groups[index], group_ports))
            added.push_back(node);
    }
    restored.replicas = replicas;
    control.base_backup(added);
    for (const auto &node : added)
        control.configure_replica(node);
    control.start(added);
    register_replicas(restored, added, restored.router_conninfo("shale_restore"));
    configure_synchronous_replication(restored);
    // pgbackrest.conf lists every node of a group, so backups find the primary after a failover
    prepare_backup_repository(restored, user);
}

int cluster_restore(const RestoreOptions &options)
{
    const auto started = std::chrono::steady_clock::now();
    auto source_layout = ClusterLayout::load(options.dir);
    if (!source_layout)
        throw CliError("no cluster in " + options.dir + " (no cluster.json); give --dir", 2);
    const ClusterLayout &source = *source_layout;
    check_target_dir(source.dir, options.target);
    RestoreTarget target = parse_target(options.to);
    OsUser user = server_user();
    BackupPaths source_paths(source.dir);
    if (access(source_paths.config_file.c_str(), R_OK) != 0)
        throw CliError("the cluster in " + source.dir + " has no backup configuration (" + source_paths.config_file +
                       " is missing)");

    // A running source archives its current WAL first, so that a recent target
    // is reachable (and a time target finds a commit past it on every node).
    {
        PgConnection router = PgConnection::connect(node_conninfo("127.0.0.1", source.router_primary().port) +
                                                    " connect_timeout=5 application_name=shale_restore");
        if (router.ok() && router.query_value("SELECT pg_is_in_recovery()") == std::optional<std::string>("f")) {
            progress("archiving the source cluster's current WAL");
            seal_wal_archives(primary_conninfos(router), std::chrono::seconds(120));
        } else {
            progress("the source cluster is not running: restoring from what its repository holds");
        }
    }

    progress("choosing backup sets");
    std::vector<BackupSet> sets = list_backup_sets(source_paths, user);
    auto chosen = choose_backup_sets(source, target, sets, known_restore_points(source));

    // the new cluster: the same groups, primaries first (replicas come once they run), fresh ports above the
    // source's (or from --port)
    int highest_source_port = 0;
    for (const auto &node : source.nodes)
        highest_source_port = std::max(highest_source_port, node.port);
    // the same group numbers as the source (a drained and removed group leaves a gap), one primary each
    std::vector<int> source_groups = layout_groups(source);
    std::sort(source_groups.begin(), source_groups.end());  // the router (0) first
    const int groups = static_cast<int>(source_groups.size());
    // --port (shale serve gives each database a block of ports): the new nodes start there instead
    const int first_port = options.first_port > 0 ? options.first_port : highest_source_port + 1;
    const std::vector<int> ports = allocate_ports(first_port, false, groups);
    ClusterLayout restored = ClusterLayout::plan(options.target, user.name, 0, 0, source.synchronous, {ports[0]});
    restored.tls_dir = source.tls_dir;  // the restored nodes keep the certificates the source's authority signed
    for (size_t i = 1; i < source_groups.size(); i++)
        restored.add_worker_group(source_groups[i], 0, {ports[i]});
    fs::create_directories(restored.log_dir());
    for (const auto &node : restored.nodes) {
        fs::create_directories(node.data_dir);
        chmod(node.data_dir.c_str(), 0700);
    }
    chown_tree(restored.dir, user);
    // the restored catalogs hold the source's superuser password
    copy_cluster_password(source.dir, restored.dir, user);
    use_password_file(cluster_password_file(restored.dir));  // the new servers must not depend on the source's
    for (const auto &parent : make_parents_traversable(restored.dir, user))
        progress("notice: added o+x to " + parent);
    // the schedule carries over; the repository is the new cluster's own
    {
        BackupPaths restored_paths(restored.dir);
        fs::create_directories(restored_paths.root);
        if (access(source_paths.schedule_file.c_str(), R_OK) == 0)
            fs::copy_file(source_paths.schedule_file, restored_paths.schedule_file);
        prepare_backup_repository(restored, user);
    }

    progress("restoring " + std::to_string(groups) + " group(s) to " + (target.is_time ? "time " : "restore point ") +
             target.text);
    BackupPaths restored_paths(restored.dir);
    std::vector<StanzaCommand> restores;
    for (const auto &node : restored.nodes) {
        const std::string stanza = stanza_name(node.group);
        progress("  " + stanza + ": backup " + chosen[stanza]);
        StanzaCommand command = make_stanza_command(
            source_paths, stanza, "restore", "restore",
            {"--pg1-path=" + node.data_dir, "--set=" + chosen[stanza], std::string("--type=") + (target.is_time ? "time" : "name"),
             "--target=" + target.text, "--target-action=promote", "--log-path=" + restored_paths.log_dir,
             "--lock-path=" + restored_paths.lock_dir});
        command.output_file = restored.log_dir() + "/" + node.name + ".restore.log";
        restores.push_back(command);
    }
    for (const auto &finished : run_stanza_commands(restores, user))
        if (finished.exit_code != 0)
            throw CliError("pgbackrest restore of " + finished.stanza + " failed (exit code " +
                           std::to_string(finished.exit_code) + "):\n" + finished.output_tail());

    // Later lines of postgresql.auto.conf win: new port, archiving into the new
    // repository, no synchronous standbys (the new cluster has no replicas yet).
    for (const auto &node : restored.nodes)
        append_settings(node.data_dir + "/postgresql.auto.conf",
                        "# Added by `shale restore`.\n"
                        "port = " + std::to_string(node.port) + "\n"
                        "synchronous_standby_names = ''\n" +
                            backup_server_settings(restored, node.group));
    progress("creating the new cluster's stanzas");
    // the new stanzas first, so WAL written after promotion archives at once
    for (const auto &finished : run_stanza_commands(stanza_create_commands(restored, true), user))
        if (finished.exit_code != 0)
            throw CliError("pgbackrest stanza-create for " + finished.stanza + " failed:\n" + finished.output_tail());

    progress("starting the restored nodes (WAL replay up to the target)");
    NodeControl control(restored, user);
    try {
        control.start(restored.nodes);
        for (const auto &node : restored.nodes)
            wait_until_promoted(restored, node, std::chrono::seconds(900));
        progress("rewriting shale.node for the new ports");
        rewrite_catalog(source, restored);
        for (const auto &node : restored.nodes)
            clear_recovery_settings(restored, node);
        const int replicas = options.replicas >= 0 ? options.replicas : source.replicas;
        if (replicas > 0) {
            progress("adding " + std::to_string(replicas) + " replica(s) to every group");
            add_replicas(restored, replicas, control, user);
        }
        restored.save();
    } catch (...) {
        control.stop_running(restored.nodes);
        std::cerr << "shale: restore failed; its servers were stopped. Remove " << restored.dir
                  << " before trying again.\n";
        throw;
    }
    pid_t pid = start_daemon(restored);
    progress("started shaled (pid " + std::to_string(pid) + "); it takes the new cluster's first full backup now");
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    progress("cluster restored in " + std::to_string(elapsed.count() / 1000.0).substr(0, 5) + " s");
    std::cout << restored.uri_with_password() << std::endl;
    return 0;
}

}  // namespace shale
