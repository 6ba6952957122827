// replica_rejoin.h — brings a node that lost its primary role back as a standby
// of the group's current primary: pg_rewind (so a primary that ran ahead on the
// old timeline cannot diverge), its own settings restored, standby.signal, start,
// and a wait until it streams. Shared by shaled (after a failover) and
// `shale switchover` (the old primary of a planned switch).
#pragma once

#include <string>

#include "common/server_control.h"

namespace shale {

struct RejoinRequest {
    long long node_id = 0;
    std::string data_dir;    // local data directory of the node to rejoin
    std::string server_log;  // its server log (pg_ctl start -l)
    int port = 0;            // its own port
    std::string primary_host;
    int primary_port = 0;
};

struct RejoinResult {
    bool ok = false;
    std::string detail;  // what was done, or why it failed
};

// mark_as_standby writes standby.signal into a stopped node's data directory, so
// that whoever starts it again (shale up, pg_ctl) gets a read-only standby and
// never a second primary.
void mark_as_standby(const ServerControl &control, const std::string &data_dir);

// rejoin_as_replica runs every step; on failure the node is left stopped with
// standby.signal in place.
RejoinResult rejoin_as_replica(const ServerControl &control, const RejoinRequest &request);

}  // namespace shale
