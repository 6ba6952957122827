// daemon_control.h — starting and stopping shaled for a local cluster: its
// config file, pid file and log under the cluster directory.
#pragma once

#include <sys/types.h>

#include <optional>

#include "common/cluster_layout.h"

namespace shale {

// daemon_pid returns the pid of the cluster's running shaled, if any (the pid in
// shaled.pid, alive and really a shaled).
std::optional<pid_t> daemon_pid(const ClusterLayout &layout);
// start_daemon writes shaled.conf and starts shaled in the background; throws if
// it exits at once. Returns its pid. It also picks the port of shaled's HTTP API
// (the one the cluster had, when still free) and records it in layout and in
// cluster.json.
pid_t start_daemon(ClusterLayout &layout);
// stop_daemon sends SIGTERM, waits up to 5 s, then SIGKILL. Returns false when it
// was not running.
bool stop_daemon(const ClusterLayout &layout);

}  // namespace shale
