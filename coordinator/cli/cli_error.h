// cli_error.h — the error type of the CLI: a message for the user and the exit
// code (2 for bad usage, 1 for everything else).
#pragma once

#include <stdexcept>
#include <string>

namespace shale {

struct CliError : std::runtime_error {
    explicit CliError(const std::string &message, int exit_code = 1)
        : std::runtime_error(message), exit_code(exit_code) {}
    int exit_code;
};

}  // namespace shale
