// placement_test.cpp — the placement rules of a cluster over hosts (common/placement.h).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/placement.h"

namespace {

shale::ClusterLayout layout_on(int hosts, int workers, int replicas)
{
    std::vector<int> ports;
    for (int index = 0; index < (workers + 1) * (replicas + 1); index++)
        ports.push_back(6000 + index);
    shale::ClusterLayout layout = shale::ClusterLayout::plan("/tmp/x", "postgres", workers, replicas, true, ports);
    for (int index = 0; index < hosts; index++)
        layout.hosts.push_back({"10.0.0." + std::to_string(index + 1) + ":7000", ""});
    return layout;
}

TEST(Placement, PrimaryAndReplicasNeverShareAHost)
{
    for (int hosts = 2; hosts <= 5; hosts++)
        for (int replicas = 0; replicas < hosts; replicas++) {
            shale::ClusterLayout layout = layout_on(hosts, 4, replicas);
            shale::place_on_hosts(layout);
            std::map<int, std::set<int>> hosts_of_group;
            for (const auto &node : layout.nodes) {
                EXPECT_TRUE(hosts_of_group[node.group].insert(node.host_index).second)
                    << "group " << node.group << " twice on host " << node.host_index;
                EXPECT_EQ(node.host, layout.hosts[node.host_index].address());
            }
        }
}

TEST(Placement, PrimariesSpreadAndRouterReplicaElsewhere)
{
    shale::ClusterLayout layout = layout_on(3, 2, 1);
    shale::place_on_hosts(layout);
    std::set<int> primary_hosts;
    for (const auto &node : layout.nodes)
        if (node.is_primary())
            primary_hosts.insert(node.host_index);
    EXPECT_EQ(primary_hosts.size(), 3u);  // router, group 1, group 2 on three hosts
    for (const auto &node : layout.nodes) {
        if (node.group == 0 && !node.is_primary()) {
            EXPECT_NE(node.host_index, layout.router_primary().host_index);
        }
    }
}

TEST(Placement, TooFewHostsIsRefused)
{
    shale::ClusterLayout layout = layout_on(2, 2, 2);
    EXPECT_THROW(shale::place_on_hosts(layout), std::invalid_argument);
}

}  // namespace
