// node_setup.cpp — creating and starting new nodes, shared by `shale up` and
// `shale add-group` so a group added later is made exactly like the first ones,
// on this machine or through the agents of hosts (node_operations.h).
#include "cli/node_setup.h"

#include "cli/registration.h"

namespace shale {

void create_and_start_nodes(const ClusterLayout &layout, NodeOperations &control, const NewNodes &nodes)
{
    nodes.progress("initdb of " + std::to_string(nodes.primaries.size()) + " primar" +
                   (nodes.primaries.size() == 1 ? "y" : "ies"));
    control.create_primaries(nodes.primaries);
    if (nodes.setup_backups)
        nodes.setup_backups();
    nodes.progress(nodes.primaries.size() == 1 ? "starting the primary" : "starting primaries");
    control.start(nodes.primaries);
    if (!nodes.replicas.empty()) {
        nodes.progress("cloning " + std::to_string(nodes.replicas.size()) + " replica(s) with pg_basebackup");
        control.create_replicas(nodes.replicas);
        nodes.progress("starting replicas");
        control.start(nodes.replicas);
        configure_synchronous_replication(layout, nodes.only_group);
    }
    if (!extension_disabled()) {
        nodes.progress("creating the shale extension");
        create_extensions(layout, nodes.only_group);
    }
}

}  // namespace shale
