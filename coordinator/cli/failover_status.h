// failover_status.h — the failover part of `shale status`: node roles as the
// catalog records them (they change with every failover; cluster.json keeps the
// roles of creation), replica lag from shaled's last health check, and warnings
// about groups without a synchronous standby ("degraded"), nodes kept out after
// a failed rejoin, and the latest failover events.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/cluster_layout.h"

namespace shale {

struct CatalogNode {
    long long node_id = 0;
    int group = 0;
    std::string host;
    std::string role;   // primary or replica
    std::string state;  // up, down or unknown
    std::optional<long long> lag_bytes;
};

// read_catalog_nodes returns the catalog's nodes by port, read through the
// cluster's router nodes (whichever is primary); empty when none answers.
std::map<int, CatalogNode> read_catalog_nodes(const ClusterLayout &layout);

// print_failover_summary prints the warnings and recent events; returns false
// when something needs attention (a degraded group or a node kept out).
bool print_failover_summary(const ClusterLayout &layout, const std::map<int, CatalogNode> &catalog);

}  // namespace shale
