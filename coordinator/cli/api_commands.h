// api_commands.h — the CLI commands that talk to `shale serve`: db, role,
// token, login. Each takes the words after the command and returns the exit
// code (see api_client.h); `--json` prints the API's JSON for scripts.
#pragma once

#include <string>
#include <vector>

namespace shale {

int db_command(const std::vector<std::string> &arguments);
int role_command(const std::vector<std::string> &arguments);
int token_command(const std::vector<std::string> &arguments);
int login_command(const std::vector<std::string> &arguments);

}  // namespace shale
