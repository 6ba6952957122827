// placement.cpp — spreading groups over hosts.
#include "common/placement.h"

#include <map>
#include <stdexcept>

namespace shale {

void place_on_hosts(ClusterLayout &layout)
{
    const int host_count = static_cast<int>(layout.hosts.size());
    std::map<int, int> members;
    for (const auto &node : layout.nodes)
        members[node.group]++;
    for (const auto &[group, count] : members)
        if (count > host_count)
            throw std::invalid_argument(
                "group " + std::to_string(group) + " has " + std::to_string(count) + " members (a primary and " +
                std::to_string(count - 1) + " replica(s)) but there are only " + std::to_string(host_count) +
                " host(s): a primary and its replicas must be on different hosts; add hosts or lower --replicas");
    for (auto &node : layout.nodes) {
        node.host_index = (node.group + node.replica_index) % host_count;
        node.host = layout.hosts[static_cast<size_t>(node.host_index)].address();
    }
}

}  // namespace shale
