// switchover.h — `shale switchover --group N [--to NODE_ID]`: a planned change of
// a group's primary (N = 0 for the router) for maintenance, without losing a
// commit and with about a second of refused writes to that group.
#pragma once

#include <string>

namespace shale {

struct SwitchoverOptions {
    std::string dir;       // absolute cluster directory
    int group = 0;         // 0: the router group
    long long to_node = 0; // 0: the most advanced streaming replica
};

int cluster_switchover(const SwitchoverOptions &options);

}  // namespace shale
