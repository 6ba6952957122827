// branch_commands.h — `shale branch` and `shale deploy-request`: branches and
// deploy requests through the /v1 API of `shale serve` (--api URL and --token,
// else $SHALE_API_URL / $SHALE_TOKEN, else the credentials of `shale login`).
#pragma once

#include <string>
#include <vector>

namespace shale {

int branch_command(const std::vector<std::string> &arguments);
int deploy_request_command(const std::vector<std::string> &arguments);

}  // namespace shale
