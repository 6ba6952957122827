// cluster_down.cpp — `shale down`: stops shaled, then every node (primaries
// first, so their replicas receive the shutdown checkpoint). Idempotent.
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/daemon_control.h"
#include "cli/host_cluster.h"
#include "cli/node_control.h"
#include "common/os_user.h"

namespace shale {

int cluster_down(const std::string &dir)
{
    auto layout = ClusterLayout::load(dir);
    if (!layout) {
        std::cout << "shale: no cluster in " << dir << " (no cluster.json); nothing to stop" << std::endl;
        return 0;
    }
    OsUser user = server_user();
    bool stopped_something = false;
    if (stop_daemon(*layout)) {
        std::cout << "shale: stopped shaled" << std::endl;
        stopped_something = true;
    }
    std::unique_ptr<NodeOperations> control = node_operations_for(*layout, user);
    for (bool primaries : {true, false}) {
        std::vector<NodeSpec> running;
        for (const auto &node : layout->nodes)
            if (node.is_primary() == primaries && control->is_running(node))
                running.push_back(node);
        if (running.empty())
            continue;
        std::cout << "shale: stopping " << running.size() << (primaries ? " primary node(s)" : " replica node(s)")
                  << std::endl;
        control->stop(running);
        stopped_something = true;
    }
    std::cout << "shale: " << (stopped_something ? "cluster in " + dir + " stopped" : "cluster in " + dir + " is already down")
              << std::endl;
    return 0;
}

}  // namespace shale
