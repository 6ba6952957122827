// registration.h — the SQL the CLI runs on a new cluster: synchronous
// replication settings, CREATE EXTENSION on every primary, and registering every
// node in the router's catalog through shale.add_node.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/cluster_layout.h"

namespace shale {

// configure_synchronous_replication sets synchronous_standby_names on every
// primary that has replicas (ANY 1 of them, or '' when the cluster is async)
// with ALTER SYSTEM and reloads the configuration.
// With only_group, only that layout group's primary is touched (`shale add-group`).
void configure_synchronous_replication(const ClusterLayout &layout, std::optional<int> only_group = std::nullopt);

// create_extensions runs CREATE EXTENSION IF NOT EXISTS shale on every primary
// (or on the primary of only_group).
void create_extensions(const ClusterLayout &layout, std::optional<int> only_group = std::nullopt);

// register_nodes adds every node to shale.nodes on the router primary, in one
// transaction, unless the catalog already has nodes. Returns true if it did.
bool register_nodes(const ClusterLayout &layout);

// register_group adds the nodes of one new worker group to shale.nodes, in one
// transaction on `router_conninfo` (a libpq connection string or URI of the
// writable router, with its own timeouts): the primary as
// catalog group `layout_group` (so stanza names, directories and catalog ids
// agree), then its replicas. add_node copies the reference tables to the new
// primary in that transaction. Throws on any error (nothing is registered then).
void register_group(const ClusterLayout &layout, int layout_group, const std::string &router_conninfo);

// register_replicas adds new replicas (of groups the catalog has, numbered as
// in the layout) to shale.nodes in one transaction. Used by `shale restore`.
void register_replicas(const ClusterLayout &layout, const std::vector<NodeSpec> &replicas,
                       const std::string &router_conninfo);

}  // namespace shale
