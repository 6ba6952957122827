// cluster_provisioner.h — making, starting, stopping and removing the Shale
// cluster behind a database, by running this same executable as `shale up` and
// `shale down` on the database's directory (the code paths of the bare CLI),
// and applying a template to a new cluster.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/cluster_layout.h"
#include "control_plane/templates.h"

namespace shale {

struct ClusterRequest {
    std::string dir;    // absolute; must not exist
    int first_port = 0; // the router primary's port; the other nodes and shaled follow it
    int worker_groups = 2;
    int replicas = 1;
    std::string tls_dir; // the installation's certificate authority (ServeConfig::tls_dir)
};

// ports_needed is how many ports a cluster of this shape takes (nodes and shaled,
// with room to spare), rounded up to a multiple of 10.
int ports_needed(int worker_groups, int replicas);

// run_shale_up runs `shale up` for a new cluster (request.first_port > 0) or
// to start an existing one, calling on_started with the child's pid and
// on_progress with each progress line it prints; throws with the end of its
// output when it fails.
void run_shale_up(const std::string &shale_binary, const ClusterRequest &request,
                  const std::function<void(pid_t)> &on_started,
                  const std::function<void(const std::string &)> &on_progress);

// run_shale runs `shale ARGUMENTS...` as a child with its output appended to
// log, calling on_started with its pid and on_progress with each "shale: "
// line; throws with the end of its output when it fails. (run_shale_up and the
// backup, restore-point and restore operations use it.)
void run_shale(const std::string &shale_binary, const std::vector<std::string> &arguments, const std::string &log,
               const std::function<void(pid_t)> &on_started,
               const std::function<void(const std::string &)> &on_progress);

// stop_cluster stops whatever runs under dir: shaled and every node of
// cluster.json (`shale down`), then any postmaster left by a creation that
// never wrote cluster.json. Best effort; never throws.
void stop_cluster(const std::string &shale_binary, const std::string &dir) noexcept;

// remove_cluster kills the tools still working in dir (a crashed creation's
// initdb or pg_basebackup), stops the cluster and removes its directory and
// setup log.
void remove_cluster(const std::string &shale_binary, const std::string &dir) noexcept;

// apply_template runs the template's schema, distribution and sample data on
// the cluster's router, each file in one transaction; throws on an error.
void apply_template(const ClusterLayout &layout, const DatabaseTemplate &database_template);

// wait_until_connectable connects with the cluster URI and runs SELECT 1,
// retrying for up to timeout_s; throws when it never succeeds.
void wait_until_connectable(const ClusterLayout &layout, int timeout_s);

}  // namespace shale
