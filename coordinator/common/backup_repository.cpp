// backup_repository.cpp — pgBackRest configuration, commands, backup list and
// history for a local cluster. See backup_repository.h and docs/backups.md.
#include "common/backup_repository.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/config_file.h"
#include "common/process.h"

namespace shale {

namespace fs = std::filesystem;
using nlohmann::json;

// socket_dir_for picks the directory of the servers' Unix sockets: DIR/run, or a
// directory under /tmp named after DIR when DIR/run is too long for a socket
// path (sun_path holds 107 bytes, and "/.s.PGSQL.65535" needs 15 of them).
static std::string socket_dir_for(const std::string &cluster_dir)
{
    std::string preferred = cluster_dir + "/run";
    if (preferred.size() <= 90)
        return preferred;
    return "/tmp/shale-run-" + std::to_string(std::hash<std::string>()(cluster_dir) % 1000000007);
}

BackupPaths::BackupPaths(const std::string &dir)
    : cluster_dir(dir),
      root(dir + "/backup"),
      config_file(root + "/pgbackrest.conf"),
      repo(root + "/repo"),
      log_dir(root + "/log"),
      lock_dir(root + "/lock"),
      spool_dir(root + "/spool"),
      output_dir(root + "/output"),
      history_file(root + "/history.jsonl"),
      restore_points_file(root + "/restore_points.jsonl"),
      schedule_file(root + "/schedule.conf"),
      socket_dir(socket_dir_for(dir))
{
}

std::string stanza_name(int layout_group)
{
    return layout_group == 0 ? "router" : "group" + std::to_string(layout_group);
}

std::vector<int> layout_groups(const ClusterLayout &layout)
{
    std::vector<int> groups;
    for (const auto &node : layout.nodes)
        if (node.is_primary())
            groups.push_back(node.group);
    return groups;
}

// parse_schedule_number reads a whole number of at least `minimum` (seconds or a count) from schedule.conf.
static int parse_schedule_number(const std::string &key, const std::string &value, int minimum)
{
    int number = 0;
    try {
        size_t used = 0;
        number = std::stoi(value, &used);
        if (used != value.size())
            throw std::invalid_argument(value);
    } catch (const std::exception &) {
        throw std::runtime_error("schedule.conf: " + key + " must be a whole number (got \"" + value + "\")");
    }
    if (number < minimum)
        throw std::runtime_error("schedule.conf: " + key + " must be at least " + std::to_string(minimum));
    return number;
}

BackupSchedule load_backup_schedule(const BackupPaths &paths)
{
    BackupSchedule schedule;
    if (access(paths.schedule_file.c_str(), R_OK) != 0)
        return schedule;
    for (const auto &[key, value] : read_config_file(paths.schedule_file)) {
        if (key == "full-interval-s")
            schedule.full_interval_s = parse_schedule_number(key, value, 0);
        else if (key == "diff-interval-s")
            schedule.diff_interval_s = parse_schedule_number(key, value, 0);
        else if (key == "incr-interval-s")
            schedule.incr_interval_s = parse_schedule_number(key, value, 0);
        else if (key == "retention-full")
            schedule.retention_full = parse_schedule_number(key, value, 1);
        else if (key == "verify-interval-s")
            schedule.verify_interval_s = parse_schedule_number(key, value, 0);
        else if (key == "restore-point-interval-s")
            schedule.restore_point_interval_s = parse_schedule_number(key, value, 0);
        else if (key == "automatic") {
            if (value != "on" && value != "off")
                throw std::runtime_error("schedule.conf: automatic must be on or off (got \"" + value + "\")");
            schedule.automatic = value == "on";
        }
        else
            throw std::runtime_error("schedule.conf: unknown setting \"" + key + "\"");
    }
    return schedule;
}

void write_default_schedule(const BackupPaths &paths)
{
    if (access(paths.schedule_file.c_str(), F_OK) == 0)
        return;
    BackupSchedule defaults;
    std::ofstream out(paths.schedule_file);
    out << "# Backup schedule of this cluster, read by shaled (re-read when this file changes).\n"
           "# Intervals in seconds; 0 turns a task off. See docs/backups.md.\n"
        << "full-interval-s = " << defaults.full_interval_s << "\n"
        << "diff-interval-s = " << defaults.diff_interval_s << "\n"
        << "incr-interval-s = " << defaults.incr_interval_s << "\n"
        << "retention-full = " << defaults.retention_full << "\n"
        << "verify-interval-s = " << defaults.verify_interval_s << "\n"
        << "restore-point-interval-s = " << defaults.restore_point_interval_s << "\n";
    const char *switch_value = std::getenv("SHALE_BACKUPS");
    out << "# off: shaled takes no backup, verification or restore point by itself\n"
        << "automatic = " << (switch_value != nullptr && std::string(switch_value) == "off" ? "off" : "on") << "\n";
    if (!out)
        throw std::runtime_error("could not write " + paths.schedule_file);
}

// pgbackrest_binary finds pgbackrest in PATH (an absolute path keeps
// archive_command independent of the servers' environment).
static std::string pgbackrest_binary()
{
    const char *path = std::getenv("PATH");
    std::stringstream directories(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        std::string candidate = directory + "/pgbackrest";
        if (!directory.empty() && access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return "/usr/bin/pgbackrest";
}

// conf_quoted doubles single quotes: the text stays valid inside a quoted postgresql.conf string.
static std::string conf_quoted(const std::string &text)
{
    std::string out;
    for (char c : text)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out;
}

// node_pgbackrest_command is the pgBackRest command line, quoted for a
// postgresql.conf string, that a node of the group runs from its data
// directory (archive_command, restore_command) before the subcommand. The
// double quotes keep a path with a space in one shell word.
// --pg1-path="$PWD": the command runs in the node's data directory through
// the shell, and pgBackRest refuses to work from a directory other than
// pg1-path; a promoted replica (whose postgresql.conf is a copy of its
// primary's) must use its own directory.
static std::string node_pgbackrest_command(const ClusterLayout &layout, int group)
{
    return conf_quoted(pgbackrest_binary()) + " --config=\"" + conf_quoted(BackupPaths(layout.dir).config_file) +
           "\" --stanza=" + stanza_name(group) + " --pg1-path=\"$PWD\"";
}

std::string backup_server_settings(const ClusterLayout &layout, int group)
{
    const std::string socket_dir = conf_quoted(BackupPaths(layout.dir).socket_dir);
    return "# Added by `shale up` for backups (docs/backups.md).\n"
           "archive_mode = on\n"
           "archive_command = '" + node_pgbackrest_command(layout, group) + " archive-push \"%p\"'\n"
           // a quiet node still ships its last WAL within a minute: bounds the RPO
           "archive_timeout = 60\n"
           "unix_socket_directories = '" + socket_dir + "'\n"
           "unix_socket_permissions = 0700\n";
}

std::string replica_archive_settings(const ClusterLayout &layout, int group)
{
    // the primary ignores it; a replica runs it when streaming cannot give it the WAL it needs
    return "restore_command = '" + node_pgbackrest_command(layout, group) + " archive-get %f \"%p\"'\n";
}

std::string backup_hba_lines()
{
    return "# pgBackRest connects over the Unix socket, whose directory only the server user can reach.\n"
           "local all all trust\n";
}

// make_owned_directory creates path (mode 0700) for the server user.
static void make_owned_directory(const std::string &path, const OsUser &user)
{
    fs::create_directories(path);
    chmod(path.c_str(), 0700);
    if (user.switch_needed && chown(path.c_str(), user.uid, user.gid) != 0)
        throw std::runtime_error("could not give " + path + " to OS user " + user.name);
}

void prepare_backup_repository(const ClusterLayout &layout, const OsUser &user)
{
    BackupPaths paths(layout.dir);
    // root is traversable by everybody so that a non-root caller's tools can
    // read schedule.conf; the repository and logs inside stay private.
    fs::create_directories(paths.root);
    chmod(paths.root.c_str(), 0755);
    if (user.switch_needed && chown(paths.root.c_str(), user.uid, user.gid) != 0)
        throw std::runtime_error("could not give " + paths.root + " to OS user " + user.name);
    for (const auto &dir : {paths.repo, paths.log_dir, paths.lock_dir, paths.spool_dir, paths.output_dir,
                            paths.socket_dir})
        make_owned_directory(dir, user);

    BackupSchedule schedule = load_backup_schedule(paths);
    std::ostringstream config;
    config << "# pgBackRest configuration of this Shale cluster, written by `shale up`.\n"
              "# One stanza per node group; pg1 is the group's first primary, pg2.. its replicas,\n"
              "# so that backups find the primary after a failover too. See docs/backups.md.\n"
              "[global]\n"
           << "repo1-path=" << paths.repo << "\n"
           << "repo1-retention-full=" << schedule.retention_full << "\n"
           << "log-path=" << paths.log_dir << "\n"
           << "lock-path=" << paths.lock_dir << "\n"
           << "spool-path=" << paths.spool_dir << "\n"
           << "log-level-console=warn\n"
              "log-level-file=info\n"
              // a checkpoint at once instead of waiting for the next one
              "start-fast=y\n"
              // lz4: several times faster than gzip for a modest loss of ratio
              "compress-type=lz4\n"
              "compress-level=1\n"
              "process-max=2\n"
              "archive-timeout=120\n";
    for (int group : layout_groups(layout)) {
        config << "\n[" << stanza_name(group) << "]\n";
        int index = 1;
        // the primary first: pg1 is where a restore writes by default
        std::vector<NodeSpec> members;
        for (const auto &node : layout.nodes)
            if (node.group == group && node.is_primary())
                members.push_back(node);
        for (const auto &node : layout.nodes)
            if (node.group == group && !node.is_primary())
                members.push_back(node);
        for (const auto &node : members) {
            const std::string prefix = "pg" + std::to_string(index++);
            config << prefix << "-path=" << node.data_dir << "\n"
                   << prefix << "-port=" << node.port << "\n"
                   << prefix << "-socket-path=" << paths.socket_dir << "\n"
                   << prefix << "-user=postgres\n";
        }
    }
    const std::string temporary = paths.config_file + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << config.str();
        if (!out)
            throw std::runtime_error("could not write " + temporary);
    }
    chmod(temporary.c_str(), 0644);
    if (user.switch_needed && chown(temporary.c_str(), user.uid, user.gid) != 0)
        throw std::runtime_error("could not give " + temporary + " to OS user " + user.name);
    if (std::rename(temporary.c_str(), paths.config_file.c_str()) != 0)
        throw std::runtime_error("could not write " + paths.config_file);
    write_default_schedule(paths);
}

std::vector<std::string> pgbackrest_argv(const BackupPaths &paths, const std::string &stanza,
                                         const std::string &command, const std::vector<std::string> &options)
{
    std::vector<std::string> argv = {pgbackrest_binary(), "--config=" + paths.config_file};
    if (!stanza.empty())
        argv.push_back("--stanza=" + stanza);
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(command);
    return argv;
}

std::string StanzaCommand::output_tail() const
{
    return tail_file(output_file, 8);
}

StanzaCommand make_stanza_command(const BackupPaths &paths, const std::string &stanza, const std::string &label,
                                  const std::string &command, const std::vector<std::string> &options)
{
    StanzaCommand run;
    run.stanza = stanza;
    run.argv = pgbackrest_argv(paths, stanza, command, options);
    run.output_file = paths.output_dir + "/" + stanza + "-" + label + ".out";
    return run;
}

StanzaCommands::~StanzaCommands()
{
    terminate();
}

void StanzaCommands::start(std::vector<StanzaCommand> commands, const OsUser &user)
{
    if (running())
        throw std::logic_error("pgBackRest commands are already running");
    commands_ = std::move(commands);
    started_ = true;
    all_finished_ = false;
    for (auto &command : commands_) {
        // a fresh output file per run, so its tail is about this run only
        std::ofstream(command.output_file, std::ios::trunc).close();
        ProcessOptions options;
        options.run_as = &user;
        options.output_file = command.output_file;
        try {
            command.pid = spawn_process(command.argv, options);
        } catch (const std::exception &error) {
            command.finished = true;
            command.exit_code = -1;
            std::ofstream(command.output_file, std::ios::app) << error.what() << "\n";
        }
    }
    poll();
}

// exit_code_of turns a waitpid status into an exit code (128 + signal when killed).
static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

bool StanzaCommands::poll()
{
    if (!started_)
        return true;
    bool all = true;
    for (auto &command : commands_) {
        if (command.finished)
            continue;
        int status = 0;
        pid_t done = waitpid(command.pid, &status, WNOHANG);
        if (done == command.pid || (done < 0 && errno == ECHILD)) {
            command.finished = true;
            command.exit_code = done == command.pid ? exit_code_of(status) : -1;
        } else {
            all = false;
        }
    }
    all_finished_ = all;
    return all;
}

void StanzaCommands::wait()
{
    while (!poll())
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void StanzaCommands::terminate()
{
    if (!running())
        return;
    for (auto &command : commands_)
        if (!command.finished && command.pid > 0)
            kill(command.pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!poll() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (auto &command : commands_)
        if (!command.finished && command.pid > 0)
            kill(command.pid, SIGKILL);
    wait();
}

std::vector<StanzaCommand> run_stanza_commands(std::vector<StanzaCommand> commands, const OsUser &user)
{
    StanzaCommands running;
    running.start(std::move(commands), user);
    running.wait();
    return running.commands();
}

std::string read_whole_file(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::vector<BackupSet> list_backup_sets(const BackupPaths &paths, const OsUser &user)
{
    if (access(paths.config_file.c_str(), R_OK) != 0)
        throw std::runtime_error("no backup configuration in " + paths.root +
                                 " (a cluster made before backups existed: run `shale up` again)");
    // console and stderr logging off: the output file must hold the JSON only
    StanzaCommand info = make_stanza_command(paths, "", "info", "info",
                                             {"--output=json", "--log-level-console=off", "--log-level-stderr=off"});
    info.output_file = paths.output_dir + "/info-" + std::to_string(getpid()) + ".json";
    auto finished = run_stanza_commands({info}, user);
    std::string text = read_whole_file(info.output_file);
    unlink(info.output_file.c_str());
    if (finished[0].exit_code != 0)
        throw std::runtime_error("pgbackrest info failed (exit code " + std::to_string(finished[0].exit_code) + "): " +
                                 text);
    std::vector<BackupSet> sets;
    json document = json::parse(text);
    for (const auto &stanza : document) {
        for (const auto &backup : stanza.value("backup", json::array())) {
            BackupSet set;
            set.stanza = stanza.at("name").get<std::string>();
            set.label = backup.at("label").get<std::string>();
            set.type = backup.at("type").get<std::string>();
            set.start_time = backup.at("timestamp").at("start").get<std::time_t>();
            set.stop_time = backup.at("timestamp").at("stop").get<std::time_t>();
            set.database_size = backup.at("info").at("size").get<uint64_t>();
            set.repository_size = backup.at("info").at("repository").at("delta").get<uint64_t>();
            set.lsn_start = backup.at("lsn").at("start").get<std::string>();
            set.lsn_stop = backup.at("lsn").at("stop").get<std::string>();
            sets.push_back(set);
        }
    }
    return sets;
}

uint64_t parse_lsn(const std::string &lsn)
{
    size_t slash = lsn.find('/');
    if (slash == std::string::npos)
        return 0;
    try {
        return (std::stoull(lsn.substr(0, slash), nullptr, 16) << 32) | std::stoull(lsn.substr(slash + 1), nullptr, 16);
    } catch (const std::exception &) {
        return 0;
    }
}

// append_json_line appends one line with a single write on an O_APPEND file, so
// lines written by the CLI and shaled at the same time do not interleave.
static void append_json_line(const std::string &path, const json &entry)
{
    std::string line = entry.dump() + "\n";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("could not open " + path);
    ssize_t written = write(fd, line.data(), line.size());
    close(fd);
    if (written != static_cast<ssize_t>(line.size()))
        throw std::runtime_error("could not write " + path);
}

// read_json_lines reads a JSON-lines file, skipping lines that do not parse (a
// line cut by a crash must not hide the others).
static std::vector<json> read_json_lines(const std::string &path)
{
    std::vector<json> entries;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        try {
            entries.push_back(json::parse(line));
        } catch (const std::exception &) {
        }
    }
    return entries;
}

void append_history(const BackupPaths &paths, const json &entry)
{
    append_json_line(paths.history_file, entry);
}

std::vector<json> read_history(const BackupPaths &paths)
{
    return read_json_lines(paths.history_file);
}

std::vector<json> read_restore_points(const BackupPaths &paths)
{
    return read_json_lines(paths.restore_points_file);
}

void append_restore_point(const BackupPaths &paths, const json &entry)
{
    append_json_line(paths.restore_points_file, entry);
}

std::vector<std::string> verify_options()
{
    return {"--output=text", "--verbose", "--log-level-console=off", "--log-level-stderr=off"};
}

VerifyResult parse_verify_output(const std::string &text)
{
    // Lines look like:
    //   status: ok | status: error
    //     backup: 20261127-112323F, status: invalid, total files checked: 965, ...
    //       checksum invalid: 1
    VerifyResult result;
    std::istringstream lines(text);
    std::string line;
    bool saw_status = false;
    while (std::getline(lines, line)) {
        std::string trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
        if (trimmed.rfind("status: ", 0) == 0) {
            saw_status = true;
            result.ok = trimmed == "status: ok";
        } else if (trimmed.rfind("backup: ", 0) == 0) {
            size_t comma = trimmed.find(',');
            std::string label = trimmed.substr(8, comma == std::string::npos ? std::string::npos : comma - 8);
            std::string status = trimmed.find("status: valid") != std::string::npos ? "valid" : "invalid";
            result.backups.emplace_back(label, status);
            if (status != "valid")
                result.problems += trimmed + "; ";
        } else if (trimmed.find("invalid: ") != std::string::npos && trimmed.find("invalid: 0") == std::string::npos) {
            result.problems += trimmed + "; ";
        }
    }
    if (!saw_status)
        result.ok = false;
    return result;
}

std::string format_time_utc(std::time_t time)
{
    std::tm parts{};
    gmtime_r(&time, &parts);
    char buffer[64];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S+00", &parts);
    return buffer;
}

}  // namespace shale
