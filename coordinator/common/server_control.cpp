// server_control.cpp — pg_ctl and pg_rewind on local data directories, as the
// server OS user.
#include "common/server_control.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/process.h"

namespace shale {

std::string postgres_bindir()
{
    const char *value = std::getenv("SHALE_PG_BINDIR");
    return value != nullptr && *value != '\0' ? value : "/usr/lib/postgresql/15/bin";
}

std::string read_text_file(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
}

ServerControl::ServerControl(const std::string &os_user_name, std::string tool_log)
    : user_(lookup_user(os_user_name)), tool_log_(std::move(tool_log))
{
    // Drop to the owner only when we can and must: root runs tools as the owner.
    user_.switch_needed = geteuid() == 0 && user_.uid != 0;
}

std::optional<pid_t> ServerControl::postmaster_pid(const std::string &data_dir)
{
    auto pid = read_pid_file(data_dir + "/postmaster.pid");
    if (!pid || *pid <= 0 || !process_is_alive(*pid))
        return std::nullopt;
    // A pid recycled by an unrelated process must not be taken for the server.
    std::string command = process_command_line(*pid);
    if (command.find("postgres") == std::string::npos)
        return std::nullopt;
    return pid;
}

ToolResult ServerControl::run_tool(const std::vector<std::string> &argv) const
{
    {
        std::ofstream log(tool_log_, std::ios::app);
        log << "\n$";
        for (const auto &argument : argv)
            log << " " << argument;
        log << "\n";
    }
    ProcessOptions options;
    options.run_as = &user_;
    options.output_file = tool_log_;
    ToolResult result;
    int exit_code = -1;
    try {
        exit_code = run_process(argv, options);
    } catch (const std::exception &error) {
        result.output = error.what();
        return result;
    }
    result.ok = exit_code == 0;
    if (!result.ok)
        result.output = argv[0].substr(argv[0].rfind('/') + 1) + " exited with code " + std::to_string(exit_code) +
                        "; end of " + tool_log_ + ":\n" + tail_file(tool_log_, 8);
    return result;
}

// process_state returns the state letter of /proc/PID/stat ('R', 'S', 'T' for
// stopped, ...), or '?' when it cannot be read.
static char process_state(pid_t pid)
{
    std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
    auto end_of_name = stat.rfind(')');
    return end_of_name == std::string::npos || end_of_name + 2 >= stat.size() ? '?' : stat[end_of_name + 2];
}

// children_of lists the processes whose parent is pid (a postmaster's backends
// and auxiliary processes).
static std::vector<pid_t> children_of(pid_t pid)
{
    std::vector<pid_t> children;
    std::string listing = read_text_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                                         "/children");
    std::stringstream in(listing);
    pid_t child = 0;
    while (in >> child)
        children.push_back(child);
    return children;
}

std::string ServerControl::stop_immediate(const std::string &data_dir) const
{
    auto pid = postmaster_pid(data_dir);
    if (!pid)
        return "its postmaster is not running";
    if (process_state(*pid) == 'T') {
        // A stopped (frozen) server acts on no signal but SIGKILL, and pg_ctl
        // would wait for nothing: kill the postmaster and its children at once,
        // so that no orphaned backend keeps serving an old connection.
        std::vector<pid_t> children = children_of(*pid);
        kill(*pid, SIGKILL);
        for (pid_t child : children)
            kill(child, SIGKILL);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (process_is_alive(*pid) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return "killed its stopped postmaster (pid " + std::to_string(*pid) + ") and its " +
               std::to_string(children.size()) + " child processes with SIGKILL";
    }
    ToolResult stopped = run_tool({postgres_bindir() + "/pg_ctl", "stop", "-D", data_dir, "-m", "immediate", "-w",
                                   "-t", "3"});
    if (stopped.ok && !process_is_alive(*pid))
        return "stopped it with pg_ctl stop -m immediate";
    if (process_is_alive(*pid))
        kill(*pid, SIGKILL);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (process_is_alive(*pid) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return process_is_alive(*pid) ? "could NOT stop its postmaster (pid " + std::to_string(*pid) + ")"
                                  : "killed its postmaster (pid " + std::to_string(*pid) +
                                        ") after pg_ctl stop -m immediate did not finish";
}

ToolResult ServerControl::stop_clean(const std::string &data_dir, int timeout_seconds) const
{
    if (!postmaster_pid(data_dir))
        return {true, "not running"};
    return run_tool({postgres_bindir() + "/pg_ctl", "stop", "-D", data_dir, "-m", "fast", "-w", "-t",
                     std::to_string(timeout_seconds)});
}

ToolResult ServerControl::start(const std::string &data_dir, const std::string &server_log) const
{
    return run_tool({postgres_bindir() + "/pg_ctl", "start", "-w", "-t", "60", "-D", data_dir, "-l", server_log});
}

ToolResult ServerControl::rewind(const std::string &data_dir, const std::string &source_conninfo) const
{
    return run_tool({postgres_bindir() + "/pg_rewind", "-D", data_dir, "--source-server=" + source_conninfo});
}

bool ServerControl::wait_until_no_processes(const std::string &data_dir, int timeout_ms)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        bool found = false;
        DIR *proc = opendir("/proc");
        if (proc == nullptr)
            return true;
        while (struct dirent *entry = readdir(proc)) {
            if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
                continue;
            char cwd[4096];
            std::string link = std::string("/proc/") + entry->d_name + "/cwd";
            ssize_t length = readlink(link.c_str(), cwd, sizeof(cwd) - 1);
            if (length > 0 && std::string(cwd, static_cast<size_t>(length)) == data_dir) {
                found = true;
                break;
            }
        }
        closedir(proc);
        if (!found)
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void ServerControl::write_file(const std::string &path, const std::string &contents) const
{
    {
        std::ofstream out(path, std::ios::trunc);
        out << contents;
        if (!out)
            throw std::runtime_error("could not write " + path);
    }
    if (user_.switch_needed && chown(path.c_str(), user_.uid, user_.gid) != 0)
        throw std::runtime_error("could not give " + path + " to user " + user_.name);
    chmod(path.c_str(), 0600);
}

}  // namespace shale
