// cluster_backup.cpp — `shale backup`, `shale backups` and `shale verify`: run
// pgBackRest for every group now, and list what the repository and the history
// file say about backups and restore points.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/backup_commands.h"
#include "cli/cli_error.h"
#include "common/backup_repository.h"
#include "common/backup_tasks.h"
#include "common/cluster_restore_point.h"
#include "common/os_user.h"

namespace shale {

using nlohmann::json;

void setup_backups(const ClusterLayout &layout, const OsUser &user)
{
    prepare_backup_repository(layout, user);
    for (const auto &finished : run_stanza_commands(stanza_create_commands(layout, true), user))
        if (finished.exit_code != 0)
            throw CliError("pgbackrest stanza-create for " + finished.stanza + " failed (exit code " +
                           std::to_string(finished.exit_code) + "):\n" + finished.output_tail());
}

// load_cluster reads cluster.json and checks that backups are configured.
static ClusterLayout load_cluster(const std::string &dir)
{
    auto layout = ClusterLayout::load(dir);
    if (!layout)
        throw CliError("no cluster in " + dir + " (no cluster.json); give --dir");
    BackupPaths paths(dir);
    if (access(paths.config_file.c_str(), R_OK) != 0)
        throw CliError("the cluster in " + dir + " has no backup configuration (" + paths.config_file +
                       " is missing): it was created before backups existed");
    return *layout;
}

// connect_router connects to the router primary; the result may be not ok.
static PgConnection connect_router(const ClusterLayout &layout)
{
    return PgConnection::connect(node_conninfo("127.0.0.1", layout.router_primary().port) +
                                 " connect_timeout=10 application_name=shale_cli");
}

int cluster_backup(const std::string &dir, const std::string &kind)
{
    if (kind != "full" && kind != "diff" && kind != "incr")
        throw CliError("--kind must be full, diff or incr (got \"" + kind + "\")", 2);
    ClusterLayout layout = load_cluster(dir);
    OsUser user = server_user();
    BackupSchedule schedule = load_backup_schedule(BackupPaths(dir));
    std::cout << "shale: " << kind << " backup of " << layout_groups(layout).size() << " group(s)" << std::endl;
    auto finished = run_stanza_commands(backup_commands(layout, kind, schedule), user);
    // pgBackRest exits with 50 when another backup of the stanza holds its lock
    // (shaled's scheduled one, say): wait for it and try again
    constexpr int kLockHeld = 50;
    auto waiting_until = std::chrono::steady_clock::now() + std::chrono::minutes(30);
    bool told = false;
    while (std::chrono::steady_clock::now() < waiting_until) {
        std::vector<StanzaCommand> retry;
        for (const auto &command : finished)
            if (command.exit_code == kLockHeld)
                retry.push_back(make_stanza_command(BackupPaths(dir), command.stanza, "shale-backup", "backup",
                                                    {"--type=" + kind, "--repo1-retention-full=" +
                                                                           std::to_string(schedule.retention_full)}));
        if (retry.empty())
            break;
        if (!told)
            std::cout << "shale: another backup is running (shaled's schedule?); waiting for it" << std::endl;
        told = true;
        std::this_thread::sleep_for(std::chrono::seconds(2));
        auto again = run_stanza_commands(retry, user);
        for (auto &command : finished)
            for (const auto &redone : again)
                if (redone.stanza == command.stanza)
                    command = redone;
    }
    PgConnection router = connect_router(layout);
    std::string failures = record_backup_results(layout, kind, finished, router.ok() ? &router : nullptr);
    if (!failures.empty())
        throw CliError("backup failed:\n" + failures + "(recorded in " + BackupPaths(dir).history_file +
                       "; see `shale backups`)");
    if (!router.ok())
        throw CliError("backups taken, but no restore point: cannot connect to the router: " + router.error_message());
    // a restore point right after the backup, archived before we return, so
    // that `shale restore --to <it>` works at once
    RestorePoint point = create_cluster_restore_point(router, layout, default_restore_point_name("backup"));
    seal_wal_archives(primary_conninfos(router), std::chrono::seconds(120));
    std::cout << "shale: backups done; restore point " << point.name << std::endl;
    return 0;
}

int cluster_restore_point(const std::string &dir, const std::string &name)
{
    ClusterLayout layout = load_cluster(dir);
    PgConnection router = connect_router(layout);
    if (!router.ok())
        throw CliError("cannot connect to the router: " + router.error_message());
    RestorePoint point = create_cluster_restore_point(router, layout, name.empty() ? default_restore_point_name("manual") : name);
    seal_wal_archives(primary_conninfos(router), std::chrono::seconds(120));
    std::cout << point.name << std::endl;
    return 0;
}

int cluster_verify(const std::string &dir)
{
    ClusterLayout layout = load_cluster(dir);
    OsUser user = server_user();
    auto finished = run_stanza_commands(verify_commands(layout), user);
    PgConnection router = connect_router(layout);
    std::string failures = record_verify_results(layout, finished, router.ok() ? &router : nullptr);
    if (!failures.empty())
        throw CliError("verification found problems:\n" + failures);
    std::cout << "shale: every backup and archived WAL segment verified" << std::endl;
    return 0;
}

// human_size prints a byte count with a unit.
static std::string human_size(uint64_t bytes)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        unit++;
    }
    std::ostringstream out;
    out << std::fixed << std::setprecision(unit == 0 ? 0 : 1) << value << " " << units[unit];
    return out.str();
}

int cluster_backups(const std::string &dir)
{
    ClusterLayout layout = load_cluster(dir);
    OsUser user = server_user();
    BackupPaths paths(dir);
    std::vector<BackupSet> sets = list_backup_sets(paths, user);
    std::vector<json> history = read_history(paths);

    // the latest verification of each (stanza, label)
    std::map<std::string, std::string> verified;
    for (const auto &entry : history)
        if (entry.value("event", "") == "verify" && entry.contains("label"))
            verified[entry.value("stanza", "") + "/" + entry.value("label", "")] = entry.value("status", "");

    struct Row {
        std::time_t time;
        std::vector<std::string> cells;
    };
    std::vector<Row> rows;
    for (const auto &set : sets) {
        auto found = verified.find(set.stanza + "/" + set.label);
        std::string verify = found == verified.end() ? "no" : found->second == "valid" ? "yes" : "INVALID";
        rows.push_back({set.stop_time,
                        {format_time_utc(set.stop_time), set.stanza, set.type, "ok", human_size(set.database_size),
                         human_size(set.repository_size), verify, set.label}});
    }
    for (const auto &entry : history)
        if (entry.value("event", "") == "backup" && entry.value("status", "") == "failed") {
            std::time_t time = entry.value("time", static_cast<std::time_t>(0));
            rows.push_back({time,
                            {format_time_utc(time), entry.value("stanza", ""), entry.value("kind", ""), "FAILED", "-",
                             "-", "-", entry.value("detail", "")}});
        }
    std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) { return a.time < b.time; });

    const std::vector<std::string> header = {"TIME (UTC)", "GROUP", "KIND", "STATUS", "SIZE", "REPO SIZE",
                                             "VERIFIED", "LABEL / ERROR"};
    const std::vector<size_t> widths = {22, 8, 5, 7, 10, 10, 9, 0};
    auto print_row = [&](const std::vector<std::string> &cells) {
        for (size_t index = 0; index < cells.size(); index++) {
            std::cout << cells[index];
            if (index + 1 < cells.size())
                std::cout << std::string(widths[index] > cells[index].size() ? widths[index] - cells[index].size() : 0, ' ')
                          << "  ";
        }
        std::cout << "\n";
    };
    print_row(header);
    for (const auto &row : rows)
        print_row(row.cells);
    if (rows.empty())
        std::cout << "(no backups yet: shaled takes the first full backup right after `shale up`)\n";

    std::vector<json> points = known_restore_points(layout);
    std::cout << "\nRestore points (latest " << std::min<size_t>(points.size(), 10) << " of " << points.size()
              << "; restore with shale restore --to NAME --target NEWDIR):\n";
    for (size_t index = points.size() > 10 ? points.size() - 10 : 0; index < points.size(); index++)
        std::cout << "  " << format_time_utc(points[index].value("time", static_cast<std::time_t>(0))) << "  "
                  << points[index].value("name", "") << "\n";
    std::cout.flush();
    return 0;
}

}  // namespace shale
