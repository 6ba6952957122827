// node_setup.h — the steps that bring new nodes of a local cluster to life, in
// the order `shale up` and `shale add-group` both need: initdb, settings,
// backups, start of the primaries, replicas cloned and started, synchronous
// replication, CREATE EXTENSION. Registration in the catalog stays with the
// caller (a new cluster and a new group register differently).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/node_control.h"
#include "common/cluster_layout.h"

namespace shale {

struct NewNodes {
    std::vector<NodeSpec> primaries;
    std::vector<NodeSpec> replicas;
    // only_group: the nodes are one new worker group of a running cluster, so
    // replication settings and CREATE EXTENSION touch that group only
    std::optional<int> only_group;
    // setup_backups runs between initdb and the first start (archive settings
    // are already in postgresql.conf by then; see node_control)
    std::function<void()> setup_backups;
    // progress prints one progress line
    std::function<void(const std::string &)> progress;
};

// create_and_start_nodes runs every step for `nodes`; it throws on the first
// failure and leaves stopping what it started to the caller.
void create_and_start_nodes(const ClusterLayout &layout, NodeOperations &control, const NewNodes &nodes);

}  // namespace shale
