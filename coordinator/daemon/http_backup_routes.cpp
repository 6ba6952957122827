// http_backup_routes.cpp — see http_backup_routes.h.
#include "daemon/http_backup_routes.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "common/backup_repository.h"
#include "common/cluster_restore_point.h"
#include "common/os_user.h"
#include "common/process.h"

namespace shale {

using nlohmann::json;

namespace {

HttpResponse backup_json_response(int status, const json &document)
{
    HttpResponse response;
    response.status = status;
    response.body = document.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    return response;
}

// shale_binary is the CLI next to shaled, else the one in PATH.
std::string shale_binary()
{
    std::string beside = executable_dir() + "/shale";
    return access(beside.c_str(), X_OK) == 0 ? beside : "shale";
}

// The operations this process started and has not reaped yet. Only our own
// pids are waited for: waitpid(-1) would steal the exit status of children that
// other parts of shaled wait for (pgBackRest runs of the scheduler, pg_ctl).
std::vector<pid_t> operation_pids;

// reap_finished_operations collects the exit status of operations that ended,
// so they do not stay zombies (their result is in their .exit file).
void reap_finished_operations()
{
    std::vector<pid_t> still_running;
    for (pid_t pid : operation_pids)
        if (waitpid(pid, nullptr, WNOHANG) == 0)
            still_running.push_back(pid);
    operation_pids = still_running;
}

// get_backups lists the repository's backups, failed attempts and restore points.
HttpResponse get_backups(const std::string &dir)
{
    BackupPaths paths(dir);
    json backups = json::array();
    std::map<std::string, std::string> verified;
    std::vector<json> history = read_history(paths);
    for (const auto &entry : history)
        if (entry.value("event", "") == "verify" && entry.contains("label"))
            verified[entry.value("stanza", "") + "/" + entry.value("label", "")] = entry.value("status", "");
    try {
        for (const auto &set : list_backup_sets(paths, server_user())) {
            auto found = verified.find(set.stanza + "/" + set.label);
            backups.push_back({{"group", set.stanza},
                               {"label", set.label},
                               {"kind", set.type},
                               {"status", "ok"},
                               {"started_at", format_time_utc(set.start_time)},
                               {"finished_at", format_time_utc(set.stop_time)},
                               {"size_bytes", set.database_size},
                               {"repository_bytes", set.repository_size},
                               {"verified", found == verified.end() ? json(nullptr) : json(found->second == "valid")}});
        }
    } catch (const std::exception &error) {
        return backup_json_response(503, {{"error", error.what()}});
    }
    for (const auto &entry : history)
        if (entry.value("event", "") == "backup" && entry.value("status", "") == "failed")
            backups.push_back({{"group", entry.value("stanza", "")},
                               {"kind", entry.value("kind", "")},
                               {"status", "failed"},
                               {"finished_at", format_time_utc(entry.value("time", static_cast<std::time_t>(0)))},
                               {"error", entry.value("detail", "")}});
    json points = json::array();
    auto layout = ClusterLayout::load(dir);
    for (const auto &point : layout ? known_restore_points(*layout) : read_restore_points(paths))
        points.push_back({{"name", point.value("name", "")},
                          {"created_at", format_time_utc(point.value("time", static_cast<std::time_t>(0)))}});
    return backup_json_response(200, {{"backups", backups}, {"restore_points", points}});
}

// start_operation runs `shale ARGS` detached; its output and exit code go to
// files named after the operation.
HttpResponse start_operation(const std::string &dir, const std::string &kind, std::vector<std::string> arguments)
{
    static std::atomic<int> sequence{0};
    BackupPaths paths(dir);
    const std::string operations = paths.root + "/operations";
    std::filesystem::create_directories(operations);
    const std::string id = kind + "-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(getpid()) + "-" +
                           std::to_string(sequence++);
    const std::string base = operations + "/" + id;
    json description = {{"id", id}, {"kind", kind}, {"started_at", format_time_utc(std::time(nullptr))},
                        {"arguments", arguments}};
    std::ofstream(base + ".json") << description.dump() << "\n";
    // sh receives the file names and the command as arguments: nothing is
    // spliced into shell text
    std::vector<std::string> argv = {"/bin/sh", "-c", "out=$1; status=$2; shift 2; \"$@\" >\"$out\" 2>&1; echo $? >\"$status\"",
                                     "sh", base + ".out", base + ".exit", shale_binary()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    try {
        operation_pids.push_back(spawn_daemon(argv, base + ".log"));
    } catch (const std::exception &error) {
        return backup_json_response(500, {{"error", error.what()}});
    }
    description["state"] = "running";
    description["poll"] = "/v1/backup-operations/" + id;
    return backup_json_response(202, description);
}

// get_operation reports an operation's state from its files.
HttpResponse get_operation(const std::string &dir, const std::string &id)
{
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-'))
            return backup_json_response(404, {{"error", "no such operation"}, {"id", id}});
    const std::string base = BackupPaths(dir).root + "/operations/" + id;
    std::ifstream in(base + ".json");
    if (!in)
        return backup_json_response(404, {{"error", "no such operation"}, {"id", id}});
    json document;
    try {
        in >> document;
    } catch (const std::exception &) {
        return backup_json_response(500, {{"error", "unreadable operation file"}, {"id", id}});
    }
    std::string status_text = read_whole_file(base + ".exit");
    std::string output = read_whole_file(base + ".out");
    if (status_text.empty()) {
        document["state"] = "running";
    } else {
        int exit_code = std::atoi(status_text.c_str());
        document["state"] = exit_code == 0 ? "succeeded" : "failed";
        document["exit_code"] = exit_code;
        // the last line of a successful restore is the new cluster's URI
        if (exit_code == 0 && document.value("kind", "") == "restore") {
            std::string trimmed = output;
            while (!trimmed.empty() && trimmed.back() == '\n')
                trimmed.pop_back();
            document["uri"] = trimmed.substr(trimmed.rfind('\n') == std::string::npos ? 0 : trimmed.rfind('\n') + 1);
        }
    }
    document["output"] = output.size() > 4000 ? output.substr(output.size() - 4000) : output;
    return backup_json_response(200, document);
}

HttpResponse method_not_allowed(const std::string &allowed)
{
    HttpResponse response = backup_json_response(405, {{"error", "method not allowed; use " + allowed}});
    response.allow = allowed;
    return response;
}

}  // namespace

std::optional<HttpResponse> handle_backup_route(const std::string &method, const std::string &path,
                                                const std::map<std::string, std::string> &query,
                                                const std::string &cluster_dir)
{
    const std::string operation_prefix = "/v1/backup-operations/";
    bool ours = path == "/v1/backups" || path == "/v1/restores" || path.rfind(operation_prefix, 0) == 0;
    if (!ours)
        return std::nullopt;
    if (cluster_dir.empty() || access(BackupPaths(cluster_dir).config_file.c_str(), R_OK) != 0)
        return backup_json_response(404, {{"error", "backups are not configured for this shaled (no cluster-dir "
                                                    "or no DIR/backup/pgbackrest.conf)"}});
    reap_finished_operations();
    if (path == "/v1/backups") {
        if (method == "GET")
            return get_backups(cluster_dir);
        if (method != "POST")
            return method_not_allowed("GET, POST");
        auto kind = query.count("kind") ? query.at("kind") : std::string("full");
        if (kind != "full" && kind != "diff" && kind != "incr")
            return backup_json_response(400, {{"error", "kind must be full, diff or incr"}});
        return start_operation(cluster_dir, "backup", {"backup", "--dir", cluster_dir, "--kind", kind});
    }
    if (path == "/v1/restores") {
        if (method != "POST")
            return method_not_allowed("POST");
        if (!query.count("to") || !query.count("target") || query.at("target").empty() ||
            query.at("target")[0] != '/')
            return backup_json_response(400, {{"error", "give to=<restore point | UTC time> and target=<absolute "
                                                        "directory of the new cluster>"}});
        return start_operation(cluster_dir, "restore",
                               {"restore", "--dir", cluster_dir, "--to", query.at("to"), "--target", query.at("target")});
    }
    if (method != "GET")
        return method_not_allowed("GET");
    return get_operation(cluster_dir, path.substr(operation_prefix.size()));
}

}  // namespace shale
