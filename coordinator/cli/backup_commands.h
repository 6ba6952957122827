// backup_commands.h — the backup subcommands of the shale CLI: backup, backups,
// verify and restore (docs/backups.md). Each returns the exit code and throws
// CliError for failures.
#pragma once

#include <string>

#include "common/cluster_layout.h"
#include "common/os_user.h"

namespace shale {

// setup_backups, called by `shale up` between initdb and the first start, writes
// the pgBackRest configuration under DIR/backup and creates one stanza per group
// (offline, from pg_control), so the servers archive WAL from their first
// segment on. The first full backup is shaled's job, in the background.
void setup_backups(const ClusterLayout &layout, const OsUser &user);

// cluster_backup takes a backup of every group now (kind full, diff or incr),
// then a cluster-consistent restore point whose WAL it waits to see archived.
int cluster_backup(const std::string &dir, const std::string &kind);
// cluster_backups lists backups (good and failed) and restore points.
int cluster_backups(const std::string &dir);
// cluster_restore_point makes a cluster-consistent restore point now (name
// empty: a generated one) and waits until every node archived it.
int cluster_restore_point(const std::string &dir, const std::string &name);
// cluster_verify checks every backup's checksums now.
int cluster_verify(const std::string &dir);

struct RestoreOptions {
    std::string dir;     // source cluster
    std::string to;      // restore point name or timestamp
    std::string target;  // new cluster directory
    int replicas = -1;   // replicas per group in the new cluster; -1: as many as the source has
    int first_port = 0;  // the new nodes' first port (the next free ones from there); 0: above the source's
};
// cluster_restore builds a new running cluster in options.target at options.to.
int cluster_restore(const RestoreOptions &options);

}  // namespace shale
