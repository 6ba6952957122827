// registration.h — the SQL the CLI runs on a new cluster: synchronous
// replication settings, CREATE EXTENSION on every primary, and registering every
// node in the router's catalog through shale.add_node.
#pragma once

#include "common/cluster_layout.h"

namespace shale {

// configure_synchronous_replication sets synchronous_standby_names on every
// primary that has replicas (ANY 1 of them, or '' when the cluster is async)
// with ALTER SYSTEM and reloads the configuration.
void configure_synchronous_replication(const ClusterLayout &layout);

// create_extensions runs CREATE EXTENSION IF NOT EXISTS shale on every primary.
void create_extensions(const ClusterLayout &layout);

// register_nodes adds every node to shale.nodes on the router primary, in one
// transaction, unless the catalog already has nodes. Returns true if it did.
bool register_nodes(const ClusterLayout &layout);

}  // namespace shale
