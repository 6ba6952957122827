// cluster_access.cpp — finding a running local cluster for the scaling
// commands: cluster.json, the writable router, and the lock that keeps two
// layout changes apart.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/cli_error.h"
#include "cli/scaling_commands.h"

namespace shale {

ClusterLayout load_cluster_or_fail(const std::string &dir)
{
    auto layout = ClusterLayout::load(dir);
    if (!layout)
        throw CliError(dir + " is not a Shale cluster directory (no cluster.json); create a cluster with: shale up --dir " +
                       dir + ", or pass the right --dir");
    return *layout;
}

PgConnection connect_router_or_fail(const ClusterLayout &layout)
{
    PgConnection router = PgConnection::connect(layout.router_conninfo("shale_cli"));
    if (!router.ok())
        throw CliError("the cluster in " + layout.dir + " is not running (no router node accepts writes: " +
                       router.error_message() + "); start it with: shale up --dir " + layout.dir);
    return router;
}

LayoutChangeLock::LayoutChangeLock(const std::string &dir)
{
    const std::string path = dir + "/layout.lock";
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw CliError("cannot open " + path + ": " + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        close(fd_);
        fd_ = -1;
        throw CliError("another shale command is changing the nodes of the cluster in " + dir +
                       " (add-group or drain --remove); try again when it has finished");
    }
}

LayoutChangeLock::~LayoutChangeLock()
{
    if (fd_ >= 0)
        close(fd_);  // releases the flock
}

}  // namespace shale
