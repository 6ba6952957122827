// backup_scheduler.cpp — see backup_scheduler.h.
#include "daemon/backup_scheduler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "common/backup_tasks.h"
#include "common/cluster_layout.h"
#include "common/cluster_restore_point.h"

namespace shale {

// A failed task is tried again after this long (or its interval, if shorter).
static constexpr int kRetryAfterSeconds = 60;

BackupScheduler::BackupScheduler(const std::string &cluster_dir, Logger &logger) : dir_(cluster_dir), logger_(logger)
{
    if (dir_.empty())
        return;
    paths_.emplace(dir_);
    if (access(paths_->config_file.c_str(), R_OK) != 0) {
        logger_.info("backups: no " + paths_->config_file + "; scheduled backups are off");
        return;
    }
    try {
        user_ = server_user();
    } catch (const std::exception &error) {
        logger_.error(std::string("backups: ") + error.what() + "; scheduled backups are off");
        return;
    }
    enabled_ = true;
    // The schedule continues from the history: the last attempt of each task.
    const std::time_t now = std::time(nullptr);
    last_diff_ = last_incr_ = last_verify_ = last_restore_point_ = now;
    for (const auto &entry : read_history(*paths_)) {
        std::time_t time = entry.value("time", static_cast<std::time_t>(0));
        std::string event = entry.value("event", "");
        std::string kind = entry.value("kind", "");
        if (event == "backup" && kind == "full")
            last_full_ = std::max(last_full_, time);
        else if (event == "backup" && kind == "diff")
            last_diff_ = time;
        else if (event == "backup" && kind == "incr")
            last_incr_ = time;
        else if (event == "verify")
            last_verify_ = time;
    }
    reload_schedule();
}

BackupScheduler::~BackupScheduler()
{
    if (!job_.running())
        return;
    // a backup cut short by our own shutdown is recorded as failed, not lost
    logger_.warn("backups: stopping the running " + job_kind_ + " job");
    job_.terminate();
    try {
        ClusterLayout layout = *ClusterLayout::load(dir_);
        if (job_kind_ == "verify")
            record_verify_results(layout, job_.commands(), nullptr);
        else
            record_backup_results(layout, job_kind_, job_.commands(), nullptr);
    } catch (const std::exception &) {
    }
}

bool BackupScheduler::due(int interval_s, std::time_t last, std::time_t now)
{
    return interval_s > 0 && now - last >= interval_s;
}

void BackupScheduler::reload_schedule()
{
    struct stat info {};
    std::time_t mtime = stat(paths_->schedule_file.c_str(), &info) == 0 ? info.st_mtime : 0;
    if (mtime == schedule_mtime_ && schedule_mtime_ != 0)
        return;
    schedule_mtime_ = mtime;
    try {
        schedule_ = load_backup_schedule(*paths_);
        logger_.info("backups: schedule full every " + std::to_string(schedule_.full_interval_s) + " s, diff every " +
                     std::to_string(schedule_.diff_interval_s) + " s, incr every " +
                     std::to_string(schedule_.incr_interval_s) + " s, keep " +
                     std::to_string(schedule_.retention_full) + " full, verify every " +
                     std::to_string(schedule_.verify_interval_s) + " s, restore point every " +
                     std::to_string(schedule_.restore_point_interval_s) + " s");
    } catch (const std::exception &error) {
        logger_.error(std::string("backups: ") + error.what() + "; keeping the previous schedule");
    }
}

void BackupScheduler::start_job(const std::string &kind)
{
    auto layout = ClusterLayout::load(dir_);
    if (!layout)
        return;
    job_kind_ = kind;
    logger_.info("backups: starting " + (kind == "verify" ? std::string("verification") : kind + " backup") +
                 " of every group");
    job_.start(kind == "verify" ? verify_commands(*layout) : backup_commands(*layout, kind, schedule_), *user_);
}

void BackupScheduler::finish_job(const PgConnection &router)
{
    auto layout = ClusterLayout::load(dir_);
    if (!layout)
        return;
    std::string failures = job_kind_ == "verify" ? record_verify_results(*layout, job_.commands(), &router)
                                                 : record_backup_results(*layout, job_kind_, job_.commands(), &router);
    if (failures.empty()) {
        logger_.info("backups: " + job_kind_ + (job_kind_ == "verify" ? " passed" : " backup finished"));
        return;
    }
    logger_.error("backups: " + job_kind_ + " failed: " + failures);
    // try again soon rather than after a whole interval
    const std::time_t now = std::time(nullptr);
    auto retry = [&](int interval_s) { return now - interval_s + std::min(interval_s, kRetryAfterSeconds); };
    if (job_kind_ == "full")
        last_full_ = retry(schedule_.full_interval_s);
    else if (job_kind_ == "diff")
        last_diff_ = retry(schedule_.diff_interval_s);
    else if (job_kind_ == "incr")
        last_incr_ = retry(schedule_.incr_interval_s);
}

void BackupScheduler::make_restore_point(const PgConnection &router)
{
    auto layout = ClusterLayout::load(dir_);
    if (!layout)
        return;
    try {
        RestorePoint point = create_cluster_restore_point(router, *layout, default_restore_point_name("shaled"));
        // switch WAL so the point reaches the archive now; archiving goes on
        // without us waiting for it
        seal_wal_archives(primary_conninfos(router), std::chrono::seconds(0));
        logger_.info("backups: restore point " + point.name);
    } catch (const std::exception &error) {
        logger_.error(std::string("backups: restore point failed: ") + error.what());
        record_event(&router, "restore_point_failed", 0, error.what());
    }
}

void BackupScheduler::run_if_due(const PgConnection &router, const std::atomic<bool> &stop)
{
    if (!enabled_ || stop.load())
        return;
    try {
        reload_schedule();
        if (job_.running()) {
            if (!job_.poll())
                return;
            finish_job(router);
        }
        if (!schedule_.automatic)
            return;  // backups only by hand (shale backup); a running one was polled above
        const std::time_t now = std::time(nullptr);
        // a group added since the last check (shale add-group) is a reason to look again
        if (auto current = ClusterLayout::load(dir_); current && layout_groups(*current).size() != groups_checked_)
            checked_first_full_ = false;
        if (!checked_first_full_) {
            // a group without any backup (a new cluster) gets a full one at once
            checked_first_full_ = true;
            auto layout = ClusterLayout::load(dir_);
            if (layout)
                groups_checked_ = layout_groups(*layout).size();  // before anything can throw
            std::set<std::string> backed_up;
            for (const auto &set : list_backup_sets(*paths_, *user_))
                backed_up.insert(set.stanza);
            if (layout)
                for (int group : layout_groups(*layout))
                    if (!backed_up.count(stanza_name(group)))
                        last_full_ = 0;
        }
        if (due(schedule_.restore_point_interval_s, last_restore_point_, now)) {
            last_restore_point_ = now;
            make_restore_point(router);
        }
        if (last_full_ == 0 || due(schedule_.full_interval_s, last_full_, now)) {
            // a full backup is also the newest base for diff and incr
            last_full_ = last_diff_ = last_incr_ = now;
            start_job("full");
        } else if (due(schedule_.diff_interval_s, last_diff_, now)) {
            last_diff_ = last_incr_ = now;
            start_job("diff");
        } else if (due(schedule_.incr_interval_s, last_incr_, now)) {
            last_incr_ = now;
            start_job("incr");
        } else if (due(schedule_.verify_interval_s, last_verify_, now)) {
            last_verify_ = now;
            start_job("verify");
        }
        last_error_.clear();
    } catch (const std::exception &error) {
        // the same error every round is logged once
        if (error.what() != last_error_)
            logger_.error(std::string("backups: ") + error.what());
        last_error_ = error.what();
    }
}

}  // namespace shale
