// placement.h — which host each node of a cluster over several machines runs
// on (docs/multi-host.md "Placement"): a primary and its replicas never share a
// host, primaries are spread over the hosts (the router's on the first, worker
// group g's on host g mod H), and the router's replicas are on other hosts
// than the router primary. Member k of group g goes to host (g + k) mod H.
#pragma once

#include "common/cluster_layout.h"

namespace shale {

// place_on_hosts sets host_index and host (the host's address) of every node
// of the layout; throws std::invalid_argument when there are fewer hosts than
// members of a group (replicas + 1).
void place_on_hosts(ClusterLayout &layout);

}  // namespace shale
