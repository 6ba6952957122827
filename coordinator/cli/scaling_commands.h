// scaling_commands.h — the CLI side of online scaling (docs/scaling.md):
// `shale add-group`, `shale rebalance`, `shale drain`, and the scaling part of
// `shale status`. Commands return the exit code and throw CliError.
#pragma once

#include <optional>
#include <string>

#include "common/cluster_layout.h"
#include "common/pg_connection.h"

namespace shale {

struct AddGroupOptions {
    std::string dir;
    std::optional<int> replicas;  // default: as many as the cluster's groups have
};
// cluster_add_group creates, starts and registers the next worker group.
int cluster_add_group(const AddGroupOptions &options);

struct ShardOperationOptions {
    std::string dir;
    bool wait = false;
    int timeout_s = 0;  // with wait: give up waiting after this long (0: never)
    int group = 0;      // drain: the worker group to empty
    bool remove = false;  // drain: then remove the group's nodes (implies wait)
};
// cluster_rebalance queues shale.rebalance() and optionally waits for it.
int cluster_rebalance(const ShardOperationOptions &options);
// cluster_drain queues shale.drain_group(group), optionally waits, and with
// remove unregisters, stops and forgets the group's nodes afterwards.
int cluster_drain(const ShardOperationOptions &options);

// print_scaling_summary prints, for `shale status`, the shard operations that
// are unfinished or finished within the last hour, and the shard count and
// size of every worker group. Prints a note instead when the router does not
// answer in time.
void print_scaling_summary(const ClusterLayout &layout);

// Shared by the scaling commands (cluster_access.cpp):

// load_cluster_or_fail reads DIR/cluster.json or throws "not a cluster directory".
ClusterLayout load_cluster_or_fail(const std::string &dir);
// connect_router_or_fail connects to the writable router or throws "the cluster
// is not running".
PgConnection connect_router_or_fail(const ClusterLayout &layout);

// LayoutChangeLock serialises commands that change cluster.json's node list
// (add-group, drain --remove) with an flock on DIR/layout.lock; a second one
// fails at once with a clear message instead of racing for ports and names.
class LayoutChangeLock {
public:
    explicit LayoutChangeLock(const std::string &dir);
    ~LayoutChangeLock();
    LayoutChangeLock(const LayoutChangeLock &) = delete;
    LayoutChangeLock &operator=(const LayoutChangeLock &) = delete;

private:
    int fd_ = -1;
};

}  // namespace shale
