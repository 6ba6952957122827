// replica_rejoin.cpp — pg_rewind and restart of an old primary as a standby.
#include "common/replica_rejoin.h"

#include <unistd.h>

#include <sstream>

#include "common/pg_connection.h"
#include "common/replication_control.h"

namespace shale {

void mark_as_standby(const ServerControl &control, const std::string &data_dir)
{
    control.write_file(data_dir + "/standby.signal", "");
}

// standby_settings returns postgresql.auto.conf text without the lines that tie
// a node to a primary or make it wait for standbys, then appends the settings of
// a standby of primary_host:primary_port.
static std::string standby_settings(const std::string &auto_conf, const RejoinRequest &request)
{
    std::stringstream in(auto_conf);
    std::string line, kept;
    while (std::getline(in, line)) {
        auto starts_with = [&line](const char *key) { return line.rfind(key, 0) == 0; };
        if (starts_with("primary_conninfo") || starts_with("primary_slot_name") ||
            starts_with("synchronous_standby_names") || starts_with("# Added by shaled"))
            continue;
        kept += line + "\n";
    }
    return kept + "# Added by shaled: a standby of its group's primary.\n" + "primary_conninfo = '" +
           primary_conninfo_for(request.primary_host, request.primary_port, standby_name(request.node_id)) + "'\n";
}

// already_streaming tells whether the node runs as a standby streaming from the
// requested primary, in which case there is nothing to do.
static bool already_streaming(const RejoinRequest &request)
{
    PgConnection primary = connect_node(request.primary_host, request.primary_port);
    if (!primary.ok())
        return false;
    PgResult result = primary.exec_params(
        "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming' AND application_name = $1",
        {standby_name(request.node_id)});
    return result.ok() && result.rows() > 0;
}

RejoinResult rejoin_as_replica(const ServerControl &control, const RejoinRequest &request)
{
    RejoinResult result;
    const std::string where = request.primary_host + ":" + std::to_string(request.primary_port);
    if (ServerControl::postmaster_pid(request.data_dir)) {
        if (already_streaming(request)) {
            result.ok = true;
            result.detail = "already streaming from " + where;
            return result;
        }
        // Whatever it runs as now, it is out of service: stop it before rewinding.
        control.stop_immediate(request.data_dir);
    }

    if (!ServerControl::wait_until_no_processes(request.data_dir, 15000)) {
        result.detail = "processes of the old server still run in " + request.data_dir + " after 15 s";
        return result;
    }

    // pg_rewind reads the source's control file for its timeline; a freshly
    // promoted primary updates it only at its first checkpoint, so ask for one.
    PgConnection primary = connect_node(request.primary_host, request.primary_port);
    if (!primary.ok()) {
        result.detail = "cannot connect to the primary " + where + ": " + primary.error_message();
        return result;
    }
    PgResult checkpoint = primary.exec("CHECKPOINT");
    if (!checkpoint.ok()) {
        result.detail = "CHECKPOINT on " + where + " failed: " + checkpoint.error_message();
        return result;
    }

    // pg_rewind copies the source's configuration files; keep the node's own
    // (its port above all). It also recovers an uncleanly stopped target in
    // single-user mode first, which refuses to run with standby.signal present.
    const std::string conf_path = request.data_dir + "/postgresql.conf";
    const std::string auto_conf_path = request.data_dir + "/postgresql.auto.conf";
    const std::string conf = read_text_file(conf_path);
    const std::string auto_conf = read_text_file(auto_conf_path);
    if (conf.empty()) {
        result.detail = "cannot read " + conf_path;
        return result;
    }
    unlink((request.data_dir + "/standby.signal").c_str());
    unlink((request.data_dir + "/recovery.signal").c_str());
    ToolResult rewound = control.rewind(request.data_dir, node_conninfo(request.primary_host, request.primary_port));
    control.write_file(conf_path, conf);
    control.write_file(auto_conf_path, standby_settings(auto_conf, request));
    mark_as_standby(control, request.data_dir);
    if (!rewound.ok) {
        result.detail = "pg_rewind from " + where + " failed; the node stays stopped: " + rewound.output;
        return result;
    }
    ToolResult started = control.start(request.data_dir, request.server_log);
    if (!started.ok) {
        result.detail = "rewound, but it did not start as a standby: " + started.output;
        return result;
    }
    if (!wait_for_standby(primary, standby_name(request.node_id), 20000)) {
        result.detail = "rewound and started, but it does not stream from " + where + " after 20 s (see " +
                        request.server_log + ")";
        return result;
    }
    result.ok = true;
    result.detail = "rewound with pg_rewind and streaming from " + where;
    return result;
}

}  // namespace shale
