// backup_scheduler.h — shaled's backup schedule (docs/backups.md): full,
// differential and incremental pgBackRest backups of every group, retention,
// verification, and cluster-consistent restore points, each at the interval set
// in DIR/backup/schedule.conf (re-read when the file changes). pgBackRest runs
// as child processes that the main loop polls once per round, so a backup that
// takes an hour never delays health checks or failover. Failures are logged,
// recorded in DIR/backup/history.jsonl and written to shale.event.
#pragma once

#include <atomic>
#include <ctime>
#include <optional>
#include <string>

#include "common/backup_repository.h"
#include "common/logger.h"
#include "common/os_user.h"
#include "common/pg_connection.h"

namespace shale {

class BackupScheduler {
public:
    // cluster_dir empty, or without DIR/backup/pgbackrest.conf: the scheduler does nothing.
    BackupScheduler(const std::string &cluster_dir, Logger &logger);
    ~BackupScheduler();

    // run_if_due finishes a job that ended, starts the next one that is due, and
    // makes a restore point when one is due. Called by the leader once per round.
    void run_if_due(const PgConnection &router, const std::atomic<bool> &stop);

private:
    // due tells whether a task with this interval, last run at `last`, is due now.
    static bool due(int interval_s, std::time_t last, std::time_t now);
    void reload_schedule();
    void start_job(const std::string &kind);
    void finish_job(const PgConnection &router);
    void make_restore_point(const PgConnection &router);

    std::string dir_;
    Logger &logger_;
    bool enabled_ = false;
    std::optional<BackupPaths> paths_;
    std::optional<OsUser> user_;
    BackupSchedule schedule_;
    std::time_t schedule_mtime_ = 0;
    bool checked_first_full_ = false;
    size_t groups_checked_ = 0;  // groups in cluster.json at the last first-full check

    StanzaCommands job_;
    std::string job_kind_;  // full, diff, incr or verify
    std::time_t last_full_ = 0, last_diff_ = 0, last_incr_ = 0, last_verify_ = 0, last_restore_point_ = 0;
    std::string last_error_;
};

}  // namespace shale
