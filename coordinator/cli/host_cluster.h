// host_cluster.h — the parts of `shale up`, `shale down` and `shale status`
// that differ for a cluster over several hosts (docs/multi-host.md): creating
// the nodes through the agents with the placement rules, the superuser's
// password (SCRAM, never trust), and the hosts table of `shale status`.
#pragma once

#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/node_operations.h"
#include "common/cluster_layout.h"
#include "common/os_user.h"

namespace shale {

// create_cluster_on_hosts plans the cluster over options.hosts, creates and
// starts every node through the agents and registers them; stops what it
// started when a step fails.
ClusterLayout create_cluster_on_hosts(const UpOptions &options, const OsUser &user);

// node_operations_for runs node steps locally (NodeControl) or through the
// agents of a cluster on hosts.
std::unique_ptr<NodeOperations> node_operations_for(ClusterLayout &layout, const OsUser &user);

// print_hosts prints one line per host (agent state, free disk, memory, nodes);
// returns false when an agent does not answer.
bool print_hosts(const ClusterLayout &layout);

}  // namespace shale
