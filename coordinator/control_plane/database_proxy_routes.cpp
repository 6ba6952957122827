// database_proxy_routes.cpp — a database's own truth, read from its cluster:
// nodes, events and backups from its shaled's HTTP API, shards from the
// router's catalog (shale.shards). Nothing of it is copied into the state database.
#include "common/cluster_layout.h"
#include "common/pg_connection.h"
#include "control_plane/api_handlers.h"
#include "http/http_client.h"

namespace shale {

namespace {

ClusterLayout running_layout(ApiCall &call)
{
    nlohmann::json database = find_database(call);
    if (database["state"] != "ready")
        throw ApiError(409, "database_not_ready", "the database is " + database["state"].get<std::string>());
    auto layout = ClusterLayout::load(database["dir"].get<std::string>());
    if (!layout)
        throw ApiError(409, "database_not_ready", "the database's cluster is not there");
    return *layout;
}

// from_shaled GETs a path of the database's shaled and returns its JSON.
nlohmann::json from_shaled(ApiCall &call, const std::string &target)
{
    ClusterLayout layout = running_layout(call);
    if (layout.http_address().empty())
        throw ApiError(503, "database_unavailable", "the database's shaled has no HTTP API");
    HttpClientResponse answer;
    try {
        answer = http_call("GET", layout.http_address(), target, "", {}, std::chrono::seconds(10));
    } catch (const std::exception &error) {
        throw ApiError(503, "database_unavailable", std::string("the database's shaled does not answer: ") +
                                                        error.what());
    }
    auto document = nlohmann::json::parse(answer.body, nullptr, false);
    if (answer.status != 200 || document.is_discarded())
        throw ApiError(503, "database_unavailable",
                       "the database's shaled answered " + std::to_string(answer.status) + " for " + target);
    return document;
}

}  // namespace

HttpResponse get_database_nodes(ApiCall &call)
{
    nlohmann::json nodes = from_shaled(call, "/v1/nodes");
    return json_response(200, {{"nodes", nodes.value("nodes", nlohmann::json::array())}});
}

HttpResponse get_database_events(ApiCall &call)
{
    int limit = call.integer_query("limit", 100, 1, 1000);
    int since = call.integer_query("since", -1, 0, 2000000000);
    std::string target = "/v1/events?limit=" + std::to_string(limit) +
                         (since >= 0 ? "&since=" + std::to_string(since) : "");
    nlohmann::json events = from_shaled(call, target);
    return json_response(200, {{"events", events.value("events", nlohmann::json::array())},
                               {"last_event_id", events.value("last_event_id", nlohmann::json(nullptr))}});
}

HttpResponse get_database_backups(ApiCall &call)
{
    nlohmann::json backups = from_shaled(call, "/v1/backups");
    return json_response(200, backups);
}

PgConnection router_connection(ApiCall &call)
{
    ClusterLayout layout = running_layout(call);
    PgConnection router = PgConnection::connect(layout.router_conninfo("shale_serve"));
    if (!router.ok())
        throw ApiError(503, "database_unavailable", "cannot reach the database's router: " + router.error_message());
    return router;
}

HttpResponse get_database_shards(ApiCall &call)
{
    PgConnection router = router_connection(call);
    PgResult shards = router.exec(
        "SELECT coalesce(json_agg(json_build_object('shard_id', shard_id, 'table_name', table_name::text, "
        "'hash_min', hash_min::text, 'hash_max', hash_max::text, 'group_id', group_id, 'size_bytes', size_bytes) "
        "ORDER BY shard_id), '[]') FROM shale.shards");
    if (!shards.ok())
        throw ApiError(503, "database_unavailable", "cannot read the shards: " + shards.error_message());
    return json_response(200, {{"shards", nlohmann::json::parse(shards.value(0, 0))}});
}

}  // namespace shale
