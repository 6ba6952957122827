// stop_signal.cpp — the stop flag of a running import.
#include "import/stop_signal.h"

#include <signal.h>

namespace shale::import {

namespace {
std::atomic<bool> stop_requested{false};

void request_stop(int) { stop_requested.store(true); }
}  // namespace

const std::atomic<bool> &install_stop_signals()
{
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    return stop_requested;
}

}  // namespace shale::import
