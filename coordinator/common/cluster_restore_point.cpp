// cluster_restore_point.cpp — see cluster_restore_point.h.
#include "common/cluster_restore_point.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <thread>

#include "common/backup_repository.h"

namespace shale {

void check_restore_point_name(const std::string &name)
{
    if (name.empty() || name.size() > 60)
        throw std::runtime_error("a restore point name has 1 to 60 characters (got \"" + name + "\")");
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
            throw std::runtime_error("a restore point name has letters, digits, '_', '-' and '.' only (got \"" + name +
                                     "\")");
}

std::string default_restore_point_name(const std::string &prefix)
{
    std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &parts);
    return prefix + "_" + buffer;
}

// stanza_of_catalog_groups maps catalog group ids to stanzas through the ports
// of the groups' primaries in the catalog and in cluster.json (the catalog's
// numbering and the layout's usually agree, but the port is what is certain).
static std::map<int, std::string> stanza_of_catalog_groups(const PgConnection &router, const ClusterLayout &layout)
{
    std::map<int, std::string> stanzas;
    PgResult result = router.exec("SELECT group_id, port FROM shale.node WHERE role = 'primary'");
    if (!result.ok())
        throw std::runtime_error("cannot read shale.node: " + result.error_message());
    for (int row = 0; row < result.rows(); row++) {
        int group_id = std::stoi(result.value(row, 0));
        int port = std::stoi(result.value(row, 1));
        std::string stanza = stanza_name(group_id);
        for (const auto &node : layout.nodes)
            if (node.port == port)
                stanza = stanza_name(node.group);
        stanzas[group_id] = stanza;
    }
    return stanzas;
}

RestorePoint create_cluster_restore_point(const PgConnection &router, const ClusterLayout &layout,
                                          const std::string &name)
{
    check_restore_point_name(name);
    RestorePoint point;
    point.name = name;
    point.time = std::time(nullptr);
    // its own transaction: the lock on shale.commit_record ends with it
    PgResult result =
        router.exec_params("SELECT group_id, node, lsn::text FROM shale.create_restore_point($1)", {name});
    if (!result.ok())
        throw std::runtime_error("shale.create_restore_point failed: " + result.error_message());
    auto stanzas = stanza_of_catalog_groups(router, layout);
    nlohmann::json marks = nlohmann::json::array();
    for (int row = 0; row < result.rows(); row++) {
        RestorePointMark mark;
        mark.group_id = std::stoi(result.value(row, 0));
        mark.node = result.value(row, 1);
        mark.lsn = result.value(row, 2);
        mark.stanza = stanzas.count(mark.group_id) ? stanzas[mark.group_id] : stanza_name(mark.group_id);
        point.marks.push_back(mark);
        marks.push_back({{"group_id", mark.group_id}, {"stanza", mark.stanza}, {"node", mark.node}, {"lsn", mark.lsn}});
    }
    append_restore_point(BackupPaths(layout.dir), {{"name", name}, {"time", point.time}, {"marks", marks}});
    return point;
}

// The router mark's LSN of a restore point entry, "" without one.
static std::string router_lsn(const nlohmann::json &point)
{
    for (const auto &mark : point.value("marks", nlohmann::json::array()))
        if (mark.value("group_id", -1) == 0)
            return mark.value("lsn", "");
    return "";
}

std::vector<nlohmann::json> known_restore_points(const ClusterLayout &layout)
{
    std::vector<nlohmann::json> points = read_restore_points(BackupPaths(layout.dir));
    PgConnection router = PgConnection::connect(layout.router_conninfo("shale_backup"));
    if (!router.ok())
        return points;  // the file is all there is while the router is down
    // one call of shale.create_restore_point writes its rows in one transaction: one created_at
    PgResult result = router.exec(
        "SELECT name, extract(epoch FROM created_at)::bigint, "
        "       json_agg(json_build_object('group_id', group_id, 'node', node, 'lsn', lsn::text) ORDER BY group_id) "
        "FROM shale.restore_point GROUP BY name, created_at ORDER BY created_at");
    if (!result.ok())
        return points;
    auto stanzas = stanza_of_catalog_groups(router, layout);
    for (int row = 0; row < result.rows(); row++) {
        nlohmann::json marks = nlohmann::json::parse(result.value(row, 2));
        for (auto &mark : marks) {
            int group_id = mark.value("group_id", 0);
            mark["stanza"] = stanzas.count(group_id) ? stanzas[group_id] : stanza_name(group_id);
        }
        nlohmann::json point = {{"name", result.value(row, 0)},
                                {"time", static_cast<std::time_t>(std::stoll(result.value(row, 1)))},
                                {"marks", marks}};
        bool listed = false;
        for (const auto &known : points)
            listed |= known.value("name", "") == point["name"] && router_lsn(known) == router_lsn(point);
        if (!listed)
            points.push_back(point);
    }
    std::stable_sort(points.begin(), points.end(), [](const nlohmann::json &a, const nlohmann::json &b) {
        return a.value("time", static_cast<std::time_t>(0)) < b.value("time", static_cast<std::time_t>(0));
    });
    return points;
}

std::vector<std::string> primary_conninfos(const PgConnection &router)
{
    PgResult result = router.exec("SELECT host, port FROM shale.node WHERE role = 'primary' ORDER BY group_id");
    if (!result.ok())
        throw std::runtime_error("cannot read shale.node: " + result.error_message());
    std::vector<std::string> conninfos;
    for (int row = 0; row < result.rows(); row++)
        conninfos.push_back(node_conninfo(result.value(row, 0), std::stoi(result.value(row, 1))) +
                            " connect_timeout=10 application_name=shale_backup");
    return conninfos;
}

void seal_wal_archives(const std::vector<std::string> &conninfos, std::chrono::seconds wait_for)
{
    struct Pending {
        std::string conninfo;
        std::string segment;
    };
    std::vector<Pending> pending;
    for (const auto &conninfo : conninfos) {
        PgConnection connection = PgConnection::connect(conninfo);
        if (!connection.ok())
            throw std::runtime_error("cannot connect (" + conninfo + "): " + connection.error_message());
        // txid_current() in its own transaction writes a commit record: a restore
        // to a time before now then finds a commit past its target on this node
        // too, instead of running out of WAL before the target
        PgResult commit = connection.exec("SELECT txid_current()");
        PgResult switched = connection.exec("SELECT pg_walfile_name(pg_switch_wal())");
        if (!commit.ok() || !switched.ok())
            throw std::runtime_error("cannot switch WAL (" + conninfo + "): " + switched.error_message() +
                                     commit.error_message());
        pending.push_back({conninfo, switched.value(0, 0)});
    }
    if (wait_for.count() == 0)
        return;
    auto deadline = std::chrono::steady_clock::now() + wait_for;
    for (const auto &node : pending) {
        PgConnection connection = PgConnection::connect(node.conninfo);
        while (true) {
            // segment names of one timeline sort like their positions
            auto archived = connection.query_value(
                "SELECT coalesce(last_archived_wal, '') >= '" + node.segment + "' FROM pg_stat_archiver");
            if (archived && *archived == "t")
                break;
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("WAL segment " + node.segment + " was not archived within " +
                                         std::to_string(wait_for.count()) + " s (" + node.conninfo +
                                         "); see pg_stat_archiver and DIR/backup/log");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

}  // namespace shale
