// process.cpp — child process helpers. The child side of fork only calls
// async-signal-safe functions on data prepared before the fork.
#include "common/process.h"

#include "common/cluster_password.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char **environ;

namespace shale {

// build_environment copies our environment for a child that runs as user:
// HOME/USER/LOGNAME follow the user and PG* variables are dropped, so nothing
// from the caller's libpq settings leaks into initdb, pg_ctl or pg_basebackup;
// PGPASSFILE names the cluster's password file when this process uses one.
static std::vector<std::string> build_environment(const OsUser *user)
{
    std::vector<std::string> environment;
    for (char **entry = environ; *entry != nullptr; entry++) {
        std::string variable = *entry;
        if (variable.rfind("PG", 0) == 0)
            continue;
        if (user != nullptr && user->switch_needed &&
            (variable.rfind("HOME=", 0) == 0 || variable.rfind("USER=", 0) == 0 ||
             variable.rfind("LOGNAME=", 0) == 0))
            continue;
        environment.push_back(variable);
    }
    // the cluster's password file (cluster_password.h) is the one PG* variable a child gets
    if (!password_file_in_use().empty())
        environment.push_back("PGPASSFILE=" + password_file_in_use());
    if (user != nullptr && user->switch_needed) {
        environment.push_back("HOME=" + user->home);
        environment.push_back("USER=" + user->name);
        environment.push_back("LOGNAME=" + user->name);
    }
    return environment;
}

static std::vector<char *> to_pointer_array(std::vector<std::string> &strings)
{
    std::vector<char *> pointers;
    for (auto &value : strings)
        pointers.push_back(value.data());
    pointers.push_back(nullptr);
    return pointers;
}

pid_t spawn_process(const std::vector<std::string> &argv_in, const ProcessOptions &options)
{
    std::vector<std::string> argv = argv_in;
    std::vector<std::string> environment = build_environment(options.run_as);
    std::vector<char *> argv_pointers = to_pointer_array(argv);
    std::vector<char *> env_pointers = to_pointer_array(environment);
    const bool switch_user = options.run_as != nullptr && options.run_as->switch_needed;
    std::vector<gid_t> groups = switch_user ? options.run_as->groups : std::vector<gid_t>();
    const uid_t uid = switch_user ? options.run_as->uid : 0;
    const gid_t gid = switch_user ? options.run_as->gid : 0;
    const char *output = options.output_file.empty() ? nullptr : options.output_file.c_str();
    const char *working_dir = options.working_dir.c_str();

    pid_t pid = fork();
    if (pid < 0)
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid > 0)
        return pid;

    // Child.
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        close(null_fd);
    }
    if (output != nullptr) {
        int out_fd = open(output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (out_fd < 0)
            _exit(126);
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
    }
    if (switch_user) {
        if (setgroups(groups.size(), groups.data()) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
            _exit(126);
    }
    if (chdir(working_dir) != 0 && chdir("/") != 0)
        _exit(126);
    execvpe(argv_pointers[0], argv_pointers.data(), env_pointers.data());
    _exit(127);
}

int wait_process(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int run_process(const std::vector<std::string> &argv, const ProcessOptions &options)
{
    return wait_process(spawn_process(argv, options));
}

pid_t spawn_daemon(const std::vector<std::string> &argv_in, const std::string &log_file)
{
    std::vector<std::string> argv = argv_in;
    std::vector<std::string> environment = build_environment(nullptr);
    std::vector<char *> argv_pointers = to_pointer_array(argv);
    std::vector<char *> env_pointers = to_pointer_array(environment);
    const char *log_path = log_file.c_str();

    pid_t pid = fork();
    if (pid < 0)
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid > 0)
        return pid;

    setsid();
    int null_fd = open("/dev/null", O_RDONLY);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd < 0 || log_fd < 0)
        _exit(126);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    // Close every other descriptor so the daemon does not hold our pipes open
    // (a caller reading our output with $(...) would otherwise wait for it).
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    if (chdir("/") != 0)
        _exit(126);
    signal(SIGHUP, SIG_IGN);
    execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
    _exit(127);
}

bool process_is_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    // Reap it if it is a child of ours that has exited.
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid)
        return false;
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return false;
    std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (std::getline(stat_file, line)) {
        size_t close_paren = line.rfind(')');
        if (close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] == 'Z')
            return false;
    }
    return true;
}

std::string process_command_line(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char &c : content)
        if (c == '\0')
            c = ' ';
    return content;
}

std::optional<pid_t> read_pid_file(const std::string &path)
{
    std::ifstream in(path);
    long value = 0;
    if (!(in >> value) || value <= 0 || value > INT_MAX)
        return std::nullopt;
    return static_cast<pid_t>(value);
}

std::string executable_dir()
{
    char buffer[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
    if (length <= 0)
        return ".";
    std::string path(buffer, static_cast<size_t>(length));
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string tail_file(const std::string &path, int lines)
{
    std::ifstream in(path);
    std::deque<std::string> kept;
    std::string line;
    while (std::getline(in, line)) {
        kept.push_back(line);
        if (static_cast<int>(kept.size()) > lines)
            kept.pop_front();
    }
    std::ostringstream out;
    for (const auto &entry : kept)
        out << "    " << entry << "\n";
    return out.str();
}

sigset_t block_stop_signals()
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

}  // namespace shale
