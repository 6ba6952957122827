// daemon_control.cpp — background start and stop of shaled.
#include "cli/daemon_control.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli_error.h"
#include "cli/port_allocator.h"
#include "common/process.h"

namespace shale {

// find_daemon_binary looks for shaled: $SHALED_BIN, next to this executable, then PATH.
static std::string find_daemon_binary()
{
    const char *configured = std::getenv("SHALED_BIN");
    if (configured != nullptr && *configured != '\0')
        return configured;
    std::string beside = executable_dir() + "/shaled";
    if (access(beside.c_str(), X_OK) == 0)
        return beside;
    const char *path = std::getenv("PATH");
    std::stringstream directories(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        std::string candidate = directory + "/shaled";
        if (!directory.empty() && access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    throw CliError("cannot find the shaled executable (looked next to shale and in PATH; set SHALED_BIN)");
}

std::optional<pid_t> daemon_pid(const ClusterLayout &layout)
{
    auto pid = read_pid_file(layout.daemon_pid_file());
    if (!pid || !process_is_alive(*pid))
        return std::nullopt;
    // Guard against a recycled pid.
    if (process_command_line(*pid).find("shaled") == std::string::npos)
        return std::nullopt;
    return pid;
}


// choose_http_port keeps the cluster's HTTP API port when it is still free, so
// dashboards keep working across restarts; otherwise it takes the first free
// port after the cluster's node ports.
static int choose_http_port(const ClusterLayout &layout)
{
    if (layout.http_port > 0 && port_is_free(layout.http_port))
        return layout.http_port;
    int highest = 0;
    for (const auto &node : layout.nodes)
        highest = std::max(highest, node.port);
    return allocate_ports(highest + 1, false, 1).front();
}

pid_t start_daemon(ClusterLayout &layout)
{
    int http_port = choose_http_port(layout);
    if (http_port != layout.http_port) {
        layout.http_port = http_port;
        layout.save();
    }
    {
        std::ofstream config(layout.daemon_config_file(), std::ios::trunc);
        config << "# shaled configuration, written by `shale up`.\n"
               << "router = " << layout.router_conninfo("shaled") << "\n"
               << "log-level = info\n"
               << "check-interval-ms = 1000\n"
               << "http-port = " << layout.http_port << "\n"
               << "cluster-dir = " << layout.dir << "\n";
        // snapshots of query insights more often than every minute (tests); shaled checks the range
        if (const char *every = std::getenv("SHALE_INSIGHTS_INTERVAL_S"); every != nullptr && *every != '\0')
            config << "insights-interval-s = " << every << "\n";
        if (!config)
            throw CliError("could not write " + layout.daemon_config_file());
    }
    pid_t pid = spawn_daemon({find_daemon_binary(), "--config", layout.daemon_config_file()}, layout.daemon_log());
    {
        std::ofstream pid_file(layout.daemon_pid_file(), std::ios::trunc);
        pid_file << pid << "\n";
    }
    // A bad configuration makes shaled exit at once; notice that here.
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    if (!process_is_alive(pid))
        throw CliError("shaled exited at once; end of " + layout.daemon_log() + ":\n" +
                       tail_file(layout.daemon_log(), 10));
    return pid;
}

bool stop_daemon(const ClusterLayout &layout)
{
    auto pid = daemon_pid(layout);
    if (!pid) {
        unlink(layout.daemon_pid_file().c_str());
        return false;
    }
    kill(*pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (process_is_alive(*pid) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (process_is_alive(*pid))
        kill(*pid, SIGKILL);
    unlink(layout.daemon_pid_file().c_str());
    return true;
}

}  // namespace shale
