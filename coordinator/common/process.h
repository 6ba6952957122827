// process.h — starting and waiting for child processes (initdb, pg_ctl,
// pg_basebackup, shaled), optionally as another OS user, with their output sent to
// a log file; pid file and liveness helpers.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/os_user.h"

namespace shale {

struct ProcessOptions {
    const OsUser *run_as = nullptr;  // drop to this user when run_as->switch_needed
    std::string output_file;         // append stdout and stderr here; empty keeps ours
    std::string working_dir = "/";
};

// spawn_process starts argv[0] (an absolute path or a name looked up in PATH)
// and returns its pid. Throws when fork fails.
pid_t spawn_process(const std::vector<std::string> &argv, const ProcessOptions &options);
// wait_process waits for pid and returns its exit code (128 + signal if killed).
int wait_process(pid_t pid);
// run_process is spawn_process followed by wait_process.
int run_process(const std::vector<std::string> &argv, const ProcessOptions &options);

// spawn_daemon starts argv detached from us (new session, stdin from /dev/null,
// output appended to log_file) and returns its pid.
pid_t spawn_daemon(const std::vector<std::string> &argv, const std::string &log_file);

// process_is_alive tells whether pid exists (and is not a zombie of ours).
bool process_is_alive(pid_t pid);
// process_command_line returns /proc/PID/cmdline with NULs turned into spaces.
std::string process_command_line(pid_t pid);
// read_pid_file returns the number on the first line of path, if any.
std::optional<pid_t> read_pid_file(const std::string &path);

// executable_dir returns the directory holding the running executable.
std::string executable_dir();
// tail_file returns the last `lines` lines of a text file (for error messages).
std::string tail_file(const std::string &path, int lines);

// block_stop_signals blocks SIGTERM and SIGINT in the calling thread (threads
// started after it inherit the mask) and ignores SIGPIPE; a long-running
// command then takes its stop signal with sigwait on the returned set.
sigset_t block_stop_signals();

}  // namespace shale
