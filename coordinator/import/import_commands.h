// import_commands.h — the subcommands of `shale import` (docs/import.md):
// inspect, plan, start (create, copy, follow; also resumes), status, cutover, abort.
#pragma once

#include <string>
#include <vector>

namespace shale::import {

struct StartOptions {
    std::string source_uri, target_uri, plan_file, dir;
    int jobs = 4;  // connections copying at once
};

struct CutoverOptions {
    std::string dir;
    int lock_timeout_s = 5;       // longest wait for the write block on the source
    int catch_up_timeout_s = 60;  // longest wait for the last changes once writes are blocked
};

int start_command(const StartOptions &options);
int status_command(const std::string &dir);
int cutover_command(const CutoverOptions &options);
int abort_command(const std::string &dir);

// import_command parses `shale import SUBCOMMAND ...` and runs it.
int import_command(const std::vector<std::string> &arguments);

}  // namespace shale::import
