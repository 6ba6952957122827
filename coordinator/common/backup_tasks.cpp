// backup_tasks.cpp — see backup_tasks.h.
#include "common/backup_tasks.h"

#include <errno.h>

#include <ctime>

namespace shale {

using nlohmann::json;

// output_label names a command's output file after the running program ("shale"
// or "shaled"), so the CLI and the daemon never write the same file.
static std::string output_label(const std::string &task)
{
    return std::string(program_invocation_short_name) + "-" + task;
}

std::vector<StanzaCommand> backup_commands(const ClusterLayout &layout, const std::string &kind,
                                           const BackupSchedule &schedule)
{
    BackupPaths paths(layout.dir);
    std::vector<StanzaCommand> commands;
    for (int group : layout_groups(layout))
        commands.push_back(make_stanza_command(
            paths, stanza_name(group), output_label("backup"), "backup",
            {"--type=" + kind, "--repo1-retention-full=" + std::to_string(schedule.retention_full)}));
    return commands;
}

std::vector<StanzaCommand> verify_commands(const ClusterLayout &layout)
{
    BackupPaths paths(layout.dir);
    std::vector<StanzaCommand> commands;
    for (int group : layout_groups(layout))
        commands.push_back(make_stanza_command(paths, stanza_name(group), output_label("verify"), "verify", verify_options()));
    return commands;
}

std::vector<StanzaCommand> stanza_create_commands(const ClusterLayout &layout, bool offline)
{
    BackupPaths paths(layout.dir);
    std::vector<StanzaCommand> commands;
    for (int group : layout_groups(layout))
        commands.push_back(make_stanza_command(paths, stanza_name(group), output_label("stanza-create"), "stanza-create",
                                               offline ? std::vector<std::string>{"--no-online"}
                                                       : std::vector<std::string>{}));
    return commands;
}

int group_of_stanza(const std::string &stanza)
{
    if (stanza.rfind("group", 0) == 0) {
        try {
            return std::stoi(stanza.substr(5));
        } catch (const std::exception &) {
        }
    }
    return 0;
}

void record_event(const PgConnection *router, const std::string &kind, int group_id, const std::string &detail)
{
    if (router == nullptr || !router->ok())
        return;
    router->exec_params("INSERT INTO shale.event (kind, group_id, detail) VALUES ($1, $2, $3)",
                        {kind, std::to_string(group_id), detail});
}

// one_line squeezes pgBackRest's multi-line output into one line for events.
static std::string one_line(const std::string &text)
{
    std::string line;
    for (char c : text)
        line += (c == '\n' || c == '\r') ? ' ' : c;
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    return line.size() > 600 ? line.substr(line.size() - 600) : line;
}

// failure_reason says why a command failed: killed by a signal, or the end of its output.
static std::string failure_reason(const StanzaCommand &command)
{
    std::string reason = command.exit_code > 128 ? "killed by signal " + std::to_string(command.exit_code - 128)
                                                 : "exit code " + std::to_string(command.exit_code);
    std::string tail = one_line(command.output_tail());
    return tail.empty() ? reason : reason + ": " + tail;
}

std::string record_backup_results(const ClusterLayout &layout, const std::string &kind,
                                  const std::vector<StanzaCommand> &finished, const PgConnection *router)
{
    BackupPaths paths(layout.dir);
    std::string failures;
    for (const auto &command : finished) {
        json entry = {{"time", std::time(nullptr)}, {"event", "backup"}, {"stanza", command.stanza}, {"kind", kind}};
        if (command.exit_code == 0) {
            entry["status"] = "ok";
            record_event(router, "backup_finished", group_of_stanza(command.stanza), kind + " backup of " + command.stanza);
        } else {
            std::string reason = failure_reason(command);
            entry["status"] = "failed";
            entry["detail"] = reason;
            failures += command.stanza + ": " + reason + "\n";
            record_event(router, "backup_failed", group_of_stanza(command.stanza),
                         kind + " backup of " + command.stanza + " failed: " + reason);
        }
        append_history(paths, entry);
    }
    return failures;
}

std::string record_verify_results(const ClusterLayout &layout, const std::vector<StanzaCommand> &finished,
                                  const PgConnection *router)
{
    BackupPaths paths(layout.dir);
    std::string failures;
    const std::time_t now = std::time(nullptr);
    for (const auto &command : finished) {
        VerifyResult result = parse_verify_output(read_whole_file(command.output_file));
        for (const auto &[label, status] : result.backups)
            append_history(paths, {{"time", now}, {"event", "verify"}, {"stanza", command.stanza}, {"label", label},
                                   {"status", status}});
        std::string problem;
        if (command.exit_code != 0)
            problem = failure_reason(command);
        else if (!result.ok)
            problem = result.problems.empty() ? "verification reported errors" : result.problems;
        append_history(paths, {{"time", now}, {"event", "verify"}, {"stanza", command.stanza},
                               {"status", problem.empty() ? "ok" : "error"}, {"detail", problem}});
        if (!problem.empty()) {
            failures += command.stanza + ": " + problem + "\n";
            record_event(router, "verify_failed", group_of_stanza(command.stanza),
                         "verification of " + command.stanza + " failed: " + problem);
        }
    }
    return failures;
}

}  // namespace shale
