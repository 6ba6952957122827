// backup_repository.h — where a local cluster's backups live and how Shale drives
// pgBackRest (see docs/backups.md): the files under DIR/backup, one stanza per
// node group ("router", "group1", …), the server settings that archive WAL into
// it, running pgBackRest commands as the server OS user, reading its backup
// list, and the small history file that remembers failed backups and
// verification results (pgBackRest itself only lists good backups).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "common/cluster_layout.h"
#include "common/os_user.h"

namespace shale {

// BackupPaths names every file and directory of a cluster's backup area.
struct BackupPaths {
    explicit BackupPaths(const std::string &cluster_dir);

    std::string cluster_dir;
    std::string root;                 // DIR/backup
    std::string config_file;          // DIR/backup/pgbackrest.conf (passed as --config everywhere)
    std::string repo;                 // DIR/backup/repo: the pgBackRest repository
    std::string log_dir;              // DIR/backup/log: pgBackRest's own logs
    std::string lock_dir;             // DIR/backup/lock
    std::string spool_dir;            // DIR/backup/spool
    std::string output_dir;           // DIR/backup/output: stdout/stderr of each command run
    std::string history_file;         // DIR/backup/history.jsonl: attempts, failures, verify results
    std::string restore_points_file;  // DIR/backup/restore_points.jsonl
    std::string schedule_file;        // DIR/backup/schedule.conf: shaled's backup schedule
    std::string socket_dir;           // DIR/run: the servers' Unix sockets (pgBackRest needs one)
};

// BackupSchedule is what shaled does on its own, read from schedule.conf; an
// interval of 0 turns that task off.
struct BackupSchedule {
    int full_interval_s = 86400;           // full backup of every group, daily
    int diff_interval_s = 0;               // differential backups: off by default
    int incr_interval_s = 3600;            // incremental backup, hourly
    int retention_full = 2;                // full backups kept (older ones expire with their WAL)
    int verify_interval_s = 21600;         // pgbackrest verify, every 6 hours
    int restore_point_interval_s = 900;    // cluster-consistent restore point, every 15 minutes
    // automatic = off: shaled takes no backup, verification or restore point by itself
    // (WAL is still archived, and shale backup / restore-point work by hand)
    bool automatic = true;
};

// load_backup_schedule reads schedule.conf (defaults for missing keys or file);
// throws on a malformed value.
BackupSchedule load_backup_schedule(const BackupPaths &paths);
// write_default_schedule writes schedule.conf with the defaults unless it exists;
// SHALE_BACKUPS=off in the environment writes automatic = off (the test harness
// uses it, so that test clusters spend no CPU on backups they do not test).
void write_default_schedule(const BackupPaths &paths);

// stanza_name is the pgBackRest stanza of a layout group: "router" or "groupN".
std::string stanza_name(int layout_group);
// layout_groups lists the groups of a layout (0 = router, then 1..N).
std::vector<int> layout_groups(const ClusterLayout &layout);

// backup_server_settings returns the postgresql.conf lines that make a node of
// `group` archive its WAL into the group's stanza and open a Unix socket for
// pgBackRest.
std::string backup_server_settings(const ClusterLayout &layout, int group);

// replica_archive_settings returns the restore_command line that lets a
// replica of the group fetch WAL from the group's archive when its primary no
// longer holds it (after a long outage, or after a failover: replicas stream
// without replication slots). Not for restored nodes, whose restore_command
// reads the source's repository.
std::string replica_archive_settings(const ClusterLayout &layout, int group);
// backup_hba_lines returns the pg_hba.conf line for that socket (trust: the
// socket directory is reachable by the server OS user only).
std::string backup_hba_lines();

// prepare_backup_repository creates DIR/backup and DIR/run (owned by the server
// user), writes pgbackrest.conf (pg1 = primary, pg2.. = replicas of each group,
// so backups keep working after a failover swaps roles) and schedule.conf.
void prepare_backup_repository(const ClusterLayout &layout, const OsUser &user);

// pgbackrest_argv builds a pgBackRest command line with our --config and stanza.
std::vector<std::string> pgbackrest_argv(const BackupPaths &paths, const std::string &stanza,
                                         const std::string &command, const std::vector<std::string> &options = {});

// StanzaCommand is one pgBackRest command for one stanza, run as a child process.
struct StanzaCommand {
    std::string stanza;
    std::vector<std::string> argv;
    std::string output_file;  // truncated before the start
    pid_t pid = -1;
    int exit_code = -1;       // set once finished
    bool finished = false;
    std::string output_tail() const;  // last lines of the output (for errors)
};

// StanzaCommands runs several pgBackRest commands in parallel as the server user
// without blocking: start, then poll() until it returns true (the daemon polls it
// once per round), or wait() to block (the CLI).
class StanzaCommands {
public:
    StanzaCommands() = default;
    StanzaCommands(const StanzaCommands &) = delete;
    StanzaCommands &operator=(const StanzaCommands &) = delete;
    ~StanzaCommands();

    void start(std::vector<StanzaCommand> commands, const OsUser &user);
    bool running() const { return started_ && !all_finished_; }
    bool poll();  // true when every command finished
    void wait();
    void terminate();  // SIGTERM to every unfinished command, then wait
    const std::vector<StanzaCommand> &commands() const { return commands_; }

private:
    std::vector<StanzaCommand> commands_;
    bool started_ = false;
    bool all_finished_ = false;
};

// make_stanza_command prepares one command whose output goes to
// DIR/backup/output/<stanza>-<label>.out.
StanzaCommand make_stanza_command(const BackupPaths &paths, const std::string &stanza, const std::string &label,
                                  const std::string &command, const std::vector<std::string> &options = {});

// run_stanza_commands runs commands in parallel and waits for all (CLI use).
std::vector<StanzaCommand> run_stanza_commands(std::vector<StanzaCommand> commands, const OsUser &user);

// BackupSet is one good backup as pgBackRest lists it.
struct BackupSet {
    std::string stanza;
    std::string label;   // e.g. 20261127-112323F or 20261127-112323F_20261127-120000I
    std::string type;    // full, diff, incr
    std::time_t start_time = 0;
    std::time_t stop_time = 0;
    uint64_t database_size = 0;    // size of the data directory backed up
    uint64_t repository_size = 0;  // bytes this backup added to the repository (compressed)
    std::string lsn_start;
    std::string lsn_stop;
};

// list_backup_sets runs `pgbackrest info` and returns every backup of every
// stanza, oldest first. Throws when pgBackRest fails.
std::vector<BackupSet> list_backup_sets(const BackupPaths &paths, const OsUser &user);

// parse_lsn turns "X/Y" into a number (0 when malformed).
uint64_t parse_lsn(const std::string &lsn);

// History: one JSON object per line, appended with O_APPEND so the CLI and shaled
// may both write. Fields: time (epoch s), event ("backup", "verify",
// "restore_point"), stanza, kind, status ("ok", "failed", "valid", "invalid"),
// label, detail.
void append_history(const BackupPaths &paths, const nlohmann::json &entry);
std::vector<nlohmann::json> read_history(const BackupPaths &paths);
std::vector<nlohmann::json> read_restore_points(const BackupPaths &paths);
void append_restore_point(const BackupPaths &paths, const nlohmann::json &entry);

// VerifyResult is what `pgbackrest verify --output=text --verbose` says about
// one stanza: its overall status and the status of each backup label.
struct VerifyResult {
    bool ok = false;
    std::vector<std::pair<std::string, std::string>> backups;  // label, "valid" | "invalid"
    std::string problems;  // lines about invalid files or WAL
};
VerifyResult parse_verify_output(const std::string &text);

// verify_options are the pgBackRest options for a verify run we can parse.
std::vector<std::string> verify_options();

// format_time_utc prints an epoch as "YYYY-MM-DD HH:MM:SS+00".
std::string format_time_utc(std::time_t time);
// read_file returns a whole file ("" when it cannot be read).
std::string read_whole_file(const std::string &path);

}  // namespace shale
