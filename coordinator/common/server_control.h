// server_control.h — runs PostgreSQL server tools on a local data directory for
// failover, switchover and rejoin (pg_ctl start/stop, pg_rewind), as the OS user
// that owns the servers, and edits the small files a standby needs
// (standby.signal, postgresql.auto.conf) keeping that owner. Used by shaled and
// by `shale switchover`; each tool's output is appended to a log file and the end
// of it is returned on failure, so callers can put it in an event.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/os_user.h"

namespace shale {

// postgres_bindir is the PostgreSQL 15 bin directory (SHALE_PG_BINDIR overrides it).
std::string postgres_bindir();

// ToolResult is the outcome of one tool run: ok, plus the end of its output.
struct ToolResult {
    bool ok = false;
    std::string output;
};

class ServerControl {
public:
    // os_user_name owns the data directories; tool_log receives tool output.
    ServerControl(const std::string &os_user_name, std::string tool_log);

    // postmaster_pid returns the pid of the postmaster running on data_dir, if any
    // (from postmaster.pid, checked to be alive and to be a postgres process).
    static std::optional<pid_t> postmaster_pid(const std::string &data_dir);

    // stop_immediate stops the server on data_dir at once (pg_ctl stop -m
    // immediate); when pg_ctl cannot (a stopped, frozen postmaster does not act on
    // SIGQUIT) the postmaster gets SIGKILL, which makes its children exit too.
    // Returns a sentence describing what was done.
    std::string stop_immediate(const std::string &data_dir) const;
    // stop_clean stops the server with a fast shutdown: sessions are ended, a
    // shutdown checkpoint is written and streamed to connected standbys.
    ToolResult stop_clean(const std::string &data_dir, int timeout_seconds) const;
    // start starts the server on data_dir with its log in server_log and waits.
    ToolResult start(const std::string &data_dir, const std::string &server_log) const;
    // rewind runs pg_rewind on data_dir against a running source server.
    ToolResult rewind(const std::string &data_dir, const std::string &source_conninfo) const;

    // wait_until_no_processes waits up to timeout_ms until no process runs in
    // data_dir (server processes make it their working directory). Backends
    // orphaned by a killed postmaster linger a moment and hold its shared
    // memory, which makes pg_rewind's crash recovery fail.
    static bool wait_until_no_processes(const std::string &data_dir, int timeout_ms);

    // write_file replaces path with contents, owned by the server OS user.
    void write_file(const std::string &path, const std::string &contents) const;

private:
    ToolResult run_tool(const std::vector<std::string> &argv) const;

    OsUser user_;
    std::string tool_log_;
};

// read_text_file returns the whole content of path ("" when it cannot be read).
std::string read_text_file(const std::string &path);

}  // namespace shale
