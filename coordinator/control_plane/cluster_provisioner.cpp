// cluster_provisioner.cpp — child `shale up` / `shale down` processes, the
// clean-up of partly created clusters, and template SQL.
#include "control_plane/cluster_provisioner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "cli/node_control.h"
#include "common/os_user.h"
#include "common/pg_connection.h"
#include "common/process.h"
#include "common/server_control.h"

namespace shale {

namespace fs = std::filesystem;

int ports_needed(int worker_groups, int replicas)
{
    int count = (worker_groups + 1) * (replicas + 1) + 4;
    return (count + 9) / 10 * 10;
}

void run_shale(const std::string &shale_binary, const std::vector<std::string> &arguments, const std::string &log,
               const std::function<void(pid_t)> &on_started,
               const std::function<void(const std::string &)> &on_progress)
{
    std::vector<std::string> argv = {shale_binary};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    std::streamoff read_up_to = 0;
    {
        std::ifstream existing(log, std::ios::ate);
        if (existing)
            read_up_to = existing.tellg();  // only this run's lines are progress
    }
    ProcessOptions options;
    options.output_file = log;
    pid_t pid = spawn_process(argv, options);
    on_started(pid);
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        std::ifstream in(log);
        in.seekg(read_up_to);
        std::string line;
        while (std::getline(in, line)) {
            if (in.eof())
                break;  // a line still being written; read it whole next time
            read_up_to = in.tellg();
            const std::string prefix = "shale: ";
            if (line.compare(0, prefix.size(), prefix) == 0)
                on_progress(line.substr(prefix.size()));
        }
        if (done == pid)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0)
        throw std::runtime_error("shale " + arguments.front() + " failed (exit " + std::to_string(code) +
                                 "): " + tail_file(log, 6));
}

void run_shale_up(const std::string &shale_binary, const ClusterRequest &request,
                  const std::function<void(pid_t)> &on_started,
                  const std::function<void(const std::string &)> &on_progress)
{
    std::string log = request.dir + ".setup.log";
    std::vector<std::string> arguments = {"up", "--dir", request.dir};
    if (request.first_port > 0) {
        arguments.insert(arguments.end(), {"--port", std::to_string(request.first_port), "--workers",
                                           std::to_string(request.worker_groups), "--replicas",
                                           std::to_string(request.replicas)});
        if (!request.tls_dir.empty())
            arguments.insert(arguments.end(), {"--tls-dir", request.tls_dir});
        unlink(log.c_str());
    }
    run_shale(shale_binary, arguments, log, on_started, on_progress);
}

// stop_stray_postmasters stops (immediate mode) every server whose data
// directory lies under dir, found by its postmaster.pid.
static void stop_stray_postmasters(const std::string &dir)
{
    std::error_code error;
    if (!fs::is_directory(dir, error))
        return;
    OsUser user = server_user();
    for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        if (it.depth() > 2) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->path().filename() != "postmaster.pid")
            continue;
        std::string data_dir = it->path().parent_path().string();
        ProcessOptions options;
        options.run_as = &user;
        options.output_file = "/dev/null";
        if (run_process({postgres_bindir() + "/pg_ctl", "status", "-D", data_dir}, options) == 0)
            run_process({postgres_bindir() + "/pg_ctl", "stop", "-m", "immediate", "-w", "-D", data_dir}, options);
    }
}

// kill_tools_in stops, with SIGKILL, every process other than a postgres
// server whose command line names dir: what a `shale up` killed with its
// parent left behind (initdb, pg_basebackup, pg_ctl, shaled) would otherwise go
// on writing into a directory being removed. Waits up to 5 s for them to go.
static void kill_tools_in(const std::string &dir)
{
    std::vector<pid_t> killed;
    std::error_code error;
    for (const auto &entry : fs::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == getpid())
            continue;
        std::string command = process_command_line(pid);
        if (command.find(dir + "/") == std::string::npos && command.find(dir + " ") == std::string::npos)
            continue;
        std::ifstream comm(entry.path() / "comm");
        std::string executable;
        std::getline(comm, executable);
        if (executable == "postgres")
            continue;  // servers are stopped with pg_ctl, by their data directories
        if (kill(pid, SIGKILL) == 0)
            killed.push_back(pid);
    }
    for (int wait = 0; wait < 50; wait++) {
        bool any_alive = false;
        for (pid_t pid : killed)
            any_alive = any_alive || process_is_alive(pid);
        if (!any_alive)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void stop_cluster(const std::string &shale_binary, const std::string &dir) noexcept
{
    try {
        std::error_code error;
        if (fs::exists(dir + "/cluster.json", error)) {
            ProcessOptions options;
            options.output_file = dir + ".setup.log";
            run_process({shale_binary, "down", "--dir", dir}, options);
        }
        auto daemon = read_pid_file(dir + "/shaled.pid");
        if (daemon && process_is_alive(*daemon) && process_command_line(*daemon).find("shaled") != std::string::npos)
            kill(*daemon, SIGKILL);
        stop_stray_postmasters(dir);
    } catch (...) {
        // best effort: the caller reports the failure that brought it here
    }
}

void remove_cluster(const std::string &shale_binary, const std::string &dir) noexcept
{
    try {
        kill_tools_in(dir);
    } catch (...) {
        // best effort, as below
    }
    stop_cluster(shale_binary, dir);
    std::error_code error;
    // a file can still appear while a killed tool dies: try again until the directory is gone
    for (int attempt = 0; attempt < 20; attempt++) {
        fs::remove_all(dir, error);
        if (!fs::exists(dir, error))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    fs::remove(dir + ".setup.log", error);
}

void apply_template(const ClusterLayout &layout, const DatabaseTemplate &database_template)
{
    PgConnection router = PgConnection::connect(layout.router_conninfo("shale_serve"));
    if (!router.ok())
        throw std::runtime_error("cannot connect to the new router: " + router.error_message());
    for (const auto &[file, sql] : {std::pair<const char *, const std::string &>{"schema.sql", database_template.schema_sql},
                                    {"distribution.sql", database_template.distribution_sql},
                                    {"sample.sql", database_template.sample_sql}}) {
        if (sql.find_first_not_of(" \t\r\n") == std::string::npos)
            continue;
        PgResult result = router.exec("BEGIN;\n" + sql + "\n;COMMIT");
        if (!result.ok()) {
            router.exec("ROLLBACK");
            throw std::runtime_error("template " + database_template.name + ", " + file + ": " +
                                     result.error_message());
        }
    }
}

void wait_until_connectable(const ClusterLayout &layout, int timeout_s)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    std::string last_error;
    while (std::chrono::steady_clock::now() < deadline) {
        PgConnection client = PgConnection::connect(layout.router_conninfo("shale_serve"));
        if (client.ok() && client.query_value("SELECT 1", &last_error))
            return;
        if (!client.ok())
            last_error = client.error_message();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    throw std::runtime_error("the database does not take connections: " + last_error);
}

}  // namespace shale
