// table_routes.cpp — a database's tables and activity, from its router at the
// moment of the request: GET /v1/databases/{id}/tables (every table of the
// application's schemas: local, distributed or reference, with distribution
// column, shard count, size and row count), POST …/tables/{name}/distribute and
// …/tables/{name}/make-reference (the extension's own SQL functions, so the
// checks and errors are the SQL API's), and GET …/metrics (counters for the
// portal's live charts).
#include "control_plane/api_handlers.h"

namespace shale {

namespace {

// kTablesSql lists the tables outside the system schemas and shale's own.
const char *const kTablesSql =
    "SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.table_name), '[]') FROM ("
    " SELECT c.oid::regclass::text AS table_name, coalesce(d.kind, 'local') AS kind,"
    "  d.distribution_column::text AS distribution_column, d.colocation_id, coalesce(d.shard_count, 0) AS shard_count,"
    "  CASE WHEN d.kind IS NULL THEN pg_total_relation_size(c.oid) ELSE"
    "   (SELECT coalesce(sum(size), 0) FROM (SELECT max(s.size_bytes) AS size FROM shale.shards s"
    "    WHERE s.table_name = c.oid GROUP BY s.shard_id) one_copy) END::bigint AS size_bytes,"
    "  (SELECT coalesce(json_agg(a.attname::text ORDER BY a.attnum), '[]') FROM pg_attribute a"
    "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN shale.tables d ON d.table_name = c.oid"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('shale', 'shale_insights', 'information_schema')"
    "  AND n.nspname NOT LIKE 'pg\\_%') t";

// sql_refusal turns an error of the router into the API's answer: 404 for an
// unknown table, else 422 with PostgreSQL's message and hint, as psql shows them.
ApiError sql_refusal(const PgResult &result, const std::string &field)
{
    auto part = [&](int code) {
        const char *text = PQresultErrorField(result.get(), code);
        return std::string(text ? text : "");
    };
    std::string state = part(PG_DIAG_SQLSTATE);
    std::string message = part(PG_DIAG_MESSAGE_PRIMARY);
    std::string hint = part(PG_DIAG_MESSAGE_HINT);
    if (state == "42P01")
        return ApiError(404, "not_found", message);
    if (state.rfind("08", 0) == 0 || message.empty())
        return ApiError(503, "database_unavailable", "the router failed: " + result.error_message());
    return ApiError(422, "refused_by_database", message + (hint.empty() ? "" : " (" + hint + ")"), field);
}

nlohmann::json one_table(const PgConnection &router, const std::string &name)
{
    PgResult tables = router.exec(kTablesSql);
    if (!tables.ok())
        throw sql_refusal(tables, "");
    for (auto &table : nlohmann::json::parse(tables.value(0, 0)))
        if (table["table_name"] == name)
            return table;
    return nullptr;
}

// table_changed answers a changed table's new row.
HttpResponse table_changed(const PgConnection &router, const std::string &oid_text)
{
    PgResult name = router.exec_params("SELECT $1::oid::regclass::text", {oid_text});
    nlohmann::json table = name.ok() ? one_table(router, name.value(0, 0)) : nlohmann::json(nullptr);
    if (table.is_null())
        throw ApiError(503, "database_unavailable", "the table changed but could not be read back; list the tables");
    return json_response(200, {{"table", table}});
}

// table_oid resolves params["name"] on the router (404 when unknown).
std::string table_oid(ApiCall &call, const PgConnection &router)
{
    const std::string &name = call.params["name"];
    if (name.empty() || name.size() > 200)
        throw ApiError(404, "not_found", "no table " + name);
    PgResult oid = router.exec_params("SELECT to_regclass($1)::oid", {name});
    if (!oid.ok())
        throw sql_refusal(oid, "");
    if (oid.is_null(0, 0))
        throw ApiError(404, "not_found", "no table " + name + " in this database");
    return oid.value(0, 0);
}

}  // namespace

HttpResponse list_tables(ApiCall &call)
{
    PgConnection router = router_connection(call);
    PgResult tables = router.exec(kTablesSql);
    if (!tables.ok())
        throw sql_refusal(tables, "");
    nlohmann::json list = nlohmann::json::parse(tables.value(0, 0));
    // exact row counts, each bounded in time: a table too big to count in 2 s shows null
    router.exec("SET statement_timeout = '2s'");
    for (auto &table : list) {
        PgResult count = router.exec_params("SELECT count(*) FROM " + table["table_name"].get<std::string>() +
                                                " WHERE $1::int = 1", {"1"});
        table["row_count"] = count.ok() ? nlohmann::json(std::stoll(count.value(0, 0))) : nlohmann::json(nullptr);
    }
    return json_response(200, {{"tables", list}});
}

HttpResponse distribute_table(ApiCall &call)
{
    call.reject_unknown_fields({"column", "shard_count", "colocate_with"});
    std::string column = call.string_field("column", true).value();
    auto shard_count = call.integer_field("shard_count", 1, 4096);
    auto colocate_with = call.string_field("colocate_with");
    PgConnection router = router_connection(call);
    std::string oid = table_oid(call, router);
    std::string sql = "SELECT shale.distribute_table(table_name => $1::oid::regclass, column_name => $2";
    std::vector<std::string> params = {oid, column};
    if (shard_count) {
        params.push_back(std::to_string(*shard_count));
        sql += ", shard_count => $" + std::to_string(params.size()) + "::int";
    }
    if (colocate_with) {
        params.push_back(*colocate_with);
        sql += ", colocate_with => $" + std::to_string(params.size()) + "::regclass";
    }
    PgResult done = router.exec_params(sql + ")", params);
    if (!done.ok()) {
        const char *state = PQresultErrorField(done.get(), PG_DIAG_SQLSTATE);
        // an unknown colocate_with table is a bad field, not an unknown path
        if (state && std::string(state) == "42P01")
            throw ApiError(422, "invalid_field", "no table " + colocate_with.value_or("") + " to co-locate with",
                           "colocate_with");
        throw sql_refusal(done, "column");
    }
    call.audit("table.distribute", "table", call.params["name"],
               {{"database_id", call.params["id"]}, {"column", column}});
    return table_changed(router, oid);
}

HttpResponse make_reference_table(ApiCall &call)
{
    call.reject_unknown_fields({});
    PgConnection router = router_connection(call);
    std::string oid = table_oid(call, router);
    PgResult done = router.exec_params("SELECT shale.make_reference_table($1::oid::regclass)", {oid});
    if (!done.ok())
        throw sql_refusal(done, "");
    call.audit("table.make_reference", "table", call.params["name"], {{"database_id", call.params["id"]}});
    return table_changed(router, oid);
}

HttpResponse get_database_metrics(ApiCall &call)
{
    PgConnection router = router_connection(call);
    // cumulative counters (Prometheus style): rates come from two readings
    PgResult metrics = router.exec(
        "SELECT json_build_object("
        " 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        " 'transactions_total', (SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()),"
        " 'statement_time_ms_total', (SELECT coalesce(active_time, 0)::float8 FROM pg_stat_database WHERE datname = current_database()),"
        " 'connections', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())::int,"
        " 'active_connections', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid())::int,"
        " 'max_connections', current_setting('max_connections')::int)");
    if (!metrics.ok())
        throw sql_refusal(metrics, "");
    return json_response(200, {{"metrics", nlohmann::json::parse(metrics.value(0, 0))}});
}

}  // namespace shale
