// cluster_restore_point.h — making a cluster-consistent restore point (through the
// extension's shale.create_restore_point, which holds commit decisions of
// distributed transactions meanwhile), remembering it under DIR/backup, and
// "sealing" the WAL archive: making every primary finish and archive the WAL
// segment that holds a point, so a restore can reach it.
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cluster_layout.h"
#include "common/pg_connection.h"

namespace shale {

// RestorePointMark is where one node group's WAL holds a restore point.
struct RestorePointMark {
    int group_id = 0;     // catalog group id (0 = router)
    std::string stanza;   // pgBackRest stanza of the group ("router", "groupN")
    std::string node;     // as the extension names it
    std::string lsn;
};

struct RestorePoint {
    std::string name;
    std::time_t time = 0;
    std::vector<RestorePointMark> marks;
};

// check_restore_point_name throws unless name is 1..60 characters of letters,
// digits, '_', '-' or '.' (it travels in command lines and file names).
void check_restore_point_name(const std::string &name);

// default_restore_point_name is "<prefix>_YYYYmmddTHHMMSSZ".
std::string default_restore_point_name(const std::string &prefix);

// create_cluster_restore_point marks `name` on every node through the router
// primary and records it in DIR/backup/restore_points.jsonl. Throws on failure.
RestorePoint create_cluster_restore_point(const PgConnection &router, const ClusterLayout &layout,
                                          const std::string &name);

// known_restore_points lists the restore points recorded in DIR/backup/
// restore_points.jsonl and, when the router answers, in its catalog
// (shale.restore_point: points made in SQL too), oldest first, each once, as
// {"name", "time", "marks": [{"group_id", "stanza", "node", "lsn"}]}.
std::vector<nlohmann::json> known_restore_points(const ClusterLayout &layout);

// primary_conninfos returns the connection strings of the router and worker
// primaries as the catalog lists them.
std::vector<std::string> primary_conninfos(const PgConnection &router);

// seal_wal_archives makes every primary write a commit record and switch to a
// new WAL segment, then (when wait_for > 0) waits until each has archived the
// segment it left. Throws naming the node that did not archive in time.
void seal_wal_archives(const std::vector<std::string> &conninfos, std::chrono::seconds wait_for);

}  // namespace shale
