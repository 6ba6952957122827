// replication_control.h — the SQL steps of a failover, a switchover and a rejoin
// that talk to running servers: promote a replica, point a replica at a new
// primary, list the standbys streaming from a primary, and set the primary's
// synchronous_standby_names from them. Shared by shaled and `shale switchover`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/pg_connection.h"

namespace shale {

// standby_name is the application_name a node uses when it streams from a primary
// after shaled re-pointed or rejoined it ("shale_node_<id>"); replicas made by
// `shale up` keep their own names (e.g. "group1_replica1").
std::string standby_name(long long node_id);

// primary_conninfo_for is the primary_conninfo of a standby of host:port.
std::string primary_conninfo_for(const std::string &host, int port, const std::string &application_name);

// connect_node opens a short-lived connection to host:port (time-out in ms).
PgConnection connect_node(const std::string &host, int port, int timeout_ms = 2000);

// promote_replica runs pg_promote(wait => true) on host:port; returns an error
// message, or nullopt on success (also when the node was already a primary).
std::optional<std::string> promote_replica(const std::string &host, int port);

// repoint_replica makes the replica at host:port stream from primary_host:port
// (primary_conninfo through ALTER SYSTEM and a reload, which PostgreSQL 15
// applies without a restart; no slot, wal_keep_size covers short gaps).
std::optional<std::string> repoint_replica(const std::string &host, int port, long long node_id,
                                           const std::string &primary_host, int primary_port);

// streaming_standbys lists the application_name of every standby streaming from
// the primary on this connection.
std::vector<std::string> streaming_standbys(const PgConnection &primary);

// set_synchronous_standbys sets synchronous_standby_names on a primary to
// 'ANY 1 (<names>)', or to '' when names is empty or synchronous is false, and
// reloads. An empty list is what keeps writes from hanging on a group that lost
// its only replica. Returns the value set, or throws std::runtime_error.
std::string set_synchronous_standbys(const PgConnection &primary, const std::vector<std::string> &names,
                                     bool synchronous);

// wait_for_standby waits up to timeout_ms until application_name streams from the
// primary on this connection.
bool wait_for_standby(const PgConnection &primary, const std::string &application_name, int timeout_ms);

}  // namespace shale
