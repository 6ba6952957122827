// stop_signal.h — SIGTERM and SIGINT set one flag that the long-running parts
// of an import (copy, follow) check, so they end between transactions.
#pragma once

#include <atomic>

namespace shale::import {

// install_stop_signals makes SIGTERM and SIGINT set the returned flag.
const std::atomic<bool> &install_stop_signals();

}  // namespace shale::import
