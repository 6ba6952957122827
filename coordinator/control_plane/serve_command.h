// serve_command.h — `shale serve`: the control plane (see docs/control-plane.md).
#pragma once

#include "control_plane/serve_config.h"

namespace shale {

// serve_options holds what the command line gave beyond ServeConfig.
struct ServeOptions {
    ServeConfig config;
    std::string token_file;  // write the first admin token here (mode 0600) as well as printing it
    std::string log_file;    // "" for stderr
};

// run_serve runs until SIGTERM or SIGINT; returns the exit code.
int run_serve(ServeOptions options);

}  // namespace shale
