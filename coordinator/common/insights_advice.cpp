// insights_advice.cpp — see insights_advice.h. The catalog comes from the
// router; index scans and sizes from every worker primary's pg_class and
// pg_stat_user_indexes, summed over the shards of each table.
#include "common/insights_advice.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "common/insights_history.h"
#include "common/insights_report.h"

namespace shale {

using nlohmann::json;

namespace {

constexpr long long kSmallTableBytes = 64LL * 1024 * 1024;  // a reference table copy on every group is cheap
constexpr double kHotTenantPercent = 50;
constexpr long long kHotTenantStatements = 100;

const char *const kTablesSql =
    "SELECT coalesce(json_agg(row_to_json(t)), '[]') FROM (SELECT d.table_id::oid::text AS oid,"
    " d.table_id::text AS table_name, c.relname::text AS relname, n.nspname::text AS schema_name, d.kind,"
    " a.attname::text AS distribution_column,"
    " (SELECT coalesce(json_agg(c2.attname::text), '[]') FROM pg_attribute c2 WHERE c2.attrelid = d.table_id"
    "  AND c2.attnum > 0 AND NOT c2.attisdropped) AS columns,"
    " (SELECT coalesce(json_agg(json_build_object('shard_id', s.shard_id, 'hash_min', s.hash_min,"
    "  'hash_max', s.hash_max) ORDER BY s.hash_min), '[]') FROM shale.shard s WHERE s.table_id = d.table_id) AS shards"
    " FROM shale.distributed_table d JOIN pg_class c ON c.oid = d.table_id"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attribute a ON a.attrelid = d.table_id AND a.attnum = d.distribution_attnum) t";

const char *const kIndexesSql =
    "SELECT coalesce(json_agg(json_build_object('index', i.indexrelid::regclass::text, 'name', ic.relname::text,"
    " 'table_oid', i.indrelid::oid::text, 'unique', i.indisunique, 'primary', i.indisprimary,"
    " 'constraint', EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid),"
    " 'signature', am.amname || ' ' || i.indkey::text || ' ' || i.indclass::text || ' ' || i.indcollation::text"
    "  || ' ' || i.indoption::text || ' ' || coalesce(pg_get_expr(i.indexprs, i.indrelid), '') || ' '"
    "  || coalesce(pg_get_expr(i.indpred, i.indrelid), ''),"
    " 'columns', (SELECT coalesce(json_agg(a.attname::text ORDER BY k.ord), '[]')"
    "  FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)"
    "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),"
    " 'definition', pg_get_indexdef(i.indexrelid)) ORDER BY i.indexrelid), '[]')"
    " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam"
    " WHERE i.indrelid IN (SELECT table_id FROM shale.distributed_table)";

// What one worker knows of its relations: size and index scans.
const char *const kWorkerRelationsSql =
    "SELECT json_build_object('since', (SELECT coalesce(stats_reset, pg_postmaster_start_time())"
    " FROM pg_stat_database WHERE datname = current_database()), 'relations', coalesce(json_agg(json_build_object("
    " 'name', n.nspname || '.' || c.relname, 'bytes', CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid)"
    " ELSE pg_total_relation_size(c.oid) END, 'scans', s.idx_scan)), '[]'))"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = c.oid"
    " WHERE c.relkind IN ('r', 'p', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_%'";

// enclose puts text between two marks, doubling the marks inside (SQL quoting).
std::string enclose(const std::string &text, char mark)
{
    std::string quoted(1, mark);
    for (char c : text) {
        quoted += c;
        if (c == mark)
            quoted += mark;
    }
    return quoted + mark;
}

// quote_literal quotes text as an SQL string constant.
std::string quote_literal(const std::string &text)
{
    return enclose(text, '\'');
}

// quote_identifier quotes a name unless it is a plain lower-case identifier.
std::string quote_identifier(const std::string &name)
{
    bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name)
        plain = plain && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
    return plain ? name : enclose(name, '"');
}

// words returns the lower-case identifiers of a query's text.
std::set<std::string> words(const std::string &text)
{
    std::set<std::string> found;
    std::string word;
    for (char c : text + " ") {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!word.empty()) {
            found.insert(word);
            word.clear();
        }
    }
    return found;
}

// Relations is what the workers reported: "schema.name" → bytes and scans over every shard copy.
struct WorkerTotals {
    std::map<std::string, long long> bytes;
    std::map<std::string, long long> scans;
    std::string since;  // the oldest start of the workers' statistics
    int workers_read = 0;
    int workers_missing = 0;
};

WorkerTotals read_workers(const PgConnection &router, const std::string &password_file)
{
    WorkerTotals totals;
    json nodes = router_json(router, "SELECT json_agg(json_build_object('host', host, 'port', port, 'db',"
                                     " current_database())) FROM shale.nodes WHERE group_id > 0 AND role = 'primary'");
    if (!nodes.is_array())
        return totals;
    for (const auto &node : nodes) {
        std::string conninfo = node_conninfo(node["host"].get<std::string>(), node["port"].get<int>(),
                                             node["db"].get<std::string>());
        if (!password_file.empty())
            conninfo += " passfile=" + quote_conninfo_value(password_file);
        PgConnection worker = PgConnection::connect_with_deadline(conninfo, std::chrono::seconds(3));
        PgResult result = worker.ok() ? worker.exec_with_deadline(kWorkerRelationsSql, std::chrono::seconds(5))
                                      : PgResult();
        if (!result.ok() || result.rows() == 0) {
            totals.workers_missing++;
            continue;
        }
        totals.workers_read++;
        json answer = json::parse(result.value(0, 0));
        std::string since = answer["since"].is_string() ? answer["since"].get<std::string>() : "";
        if (!since.empty() && (totals.since.empty() || since < totals.since))
            totals.since = since;
        for (const auto &relation : answer["relations"]) {
            std::string name = relation["name"];
            totals.bytes[name] += relation["bytes"].is_number() ? relation["bytes"].get<long long>() : 0;
            if (relation["scans"].is_number())
                totals.scans[name] += relation["scans"].get<long long>();
        }
    }
    return totals;
}

// ShardCopies sums a relation's per-shard copies (table or index `name` of a table's shards).
struct ShardSum {
    long long bytes = 0;
    long long scans = 0;
    int copies_found = 0;
};

ShardSum sum_over_shards(const WorkerTotals &totals, const json &table, const std::string &name)
{
    ShardSum sum;
    for (const auto &shard : table["shards"]) {
        std::string shard_name =
            table["schema_name"].get<std::string>() + "." + shard_index_name(name, shard["shard_id"].get<long long>());
        auto bytes = totals.bytes.find(shard_name);
        if (bytes == totals.bytes.end())
            continue;
        sum.copies_found++;
        sum.bytes += bytes->second;
        auto scans = totals.scans.find(shard_name);
        if (scans != totals.scans.end())
            sum.scans += scans->second;
    }
    return sum;
}

json advice(const std::string &id, const std::string &kind, const std::string &table, const std::string &title,
            const json &evidence, const std::vector<std::string> &statements)
{
    std::string joined;
    for (const auto &statement : statements)
        joined += statement + ";\n";
    if (!joined.empty())
        joined.pop_back();
    return json{{"id", id},         {"kind", kind},           {"table", table},
                {"title", title},   {"evidence", evidence},   {"statements", statements},
                {"statement", joined}};
}

// distribution_advice: patterns scanning every shard while filtering on table.column = value.
void distribution_advice(const json &insights, const std::map<std::string, json> &tables_by_name,
                         const json &indexes, const json &tenants, json &out)
{
    struct Fanout {
        long long calls = 0;
        double total_ms = 0;
        json patterns = json::array();
    };
    std::map<std::pair<std::string, std::string>, Fanout> fanouts;
    for (const auto &pattern : insights["patterns"]) {
        // the router names the filter of a statement that scans every shard (all on one group, or spread)
        if (!pattern["fanout_filter_table"].is_string() || !pattern["fanout_filter_column"].is_string())
            continue;
        Fanout &fanout = fanouts[std::make_pair(pattern["fanout_filter_table"].get<std::string>(),
                                                pattern["fanout_filter_column"].get<std::string>())];
        fanout.calls += pattern["calls"].get<long long>();
        fanout.total_ms += pattern["total_ms"].get<double>();
        if (fanout.patterns.size() < 3)
            fanout.patterns.push_back(pattern["query"]);
    }
    for (const auto &[key, fanout] : fanouts) {
        const auto &[table_name, column] = key;
        auto table = tables_by_name.find(table_name);
        if (table == tables_by_name.end() || table->second["kind"] != "distributed" ||
            table->second["distribution_column"] == column)
            continue;  // not distributed any more, or already distributed by that column
        const json &columns = table->second["columns"];
        if (std::find(columns.begin(), columns.end(), column) == columns.end())
            continue;  // the column was dropped since (the pattern is from the history)
        const std::string oid = table->second["oid"];
        std::string blocking_unique, leading_index;
        for (const auto &index : indexes) {
            if (index["table_oid"] != oid)
                continue;
            const json &columns = index["columns"];
            bool has_column = std::find(columns.begin(), columns.end(), column) != columns.end();
            if (index["unique"].get<bool>() && !has_column)
                blocking_unique = index["index"];
            if (!columns.empty() && columns[0] == column)
                leading_index = index["index"];
        }
        long long single_shard = 0;  // statements that use today's distribution column
        for (const auto &tenant : tenants)
            if (tenant["table_name"] == table_name)
                single_shard += tenant["statements"].get<long long>();
        json evidence{{"patterns", fanout.patterns},
                      {"multi_shard_calls", fanout.calls},
                      {"multi_shard_total_ms", fanout.total_ms},
                      {"shard_count", table->second["shards"].size()},
                      {"distribution_column", table->second["distribution_column"]},
                      {"filter_column", column},
                      {"single_shard_statements_on_table", single_shard}};
        if (blocking_unique.empty() && fanout.calls > single_shard) {
            evidence["why"] = "every call scans all " + std::to_string(table->second["shards"].size()) +
                              " shards; distributed by " + column + " each would run on one shard";
            out.push_back(advice("distribution:" + table_name + ":" + column, "distribution", table_name,
                                 "distribute " + table_name + " by " + column, evidence,
                                 {"SELECT shale.undistribute_table(" + quote_literal(table_name) + ")",
                                  "SELECT shale.distribute_table(" + quote_literal(table_name) + ", " +
                                      quote_literal(column) + ")"}));
        } else if (leading_index.empty()) {
            evidence["why"] = blocking_unique.empty()
                                  ? "most statements on the table use its distribution column; an index on " + column +
                                        " makes each shard's part of the scan cheap"
                                  : "the unique index " + blocking_unique + " does not include " + column +
                                        ", so the table cannot be distributed by it; an index makes each shard's scan cheap";
            const std::string relname = table->second["relname"];
            std::string index_name = relname + "_" + column + "_idx";
            if (index_name.size() > 63)
                index_name.resize(50);
            out.push_back(advice("index:" + table_name + ":" + column, "index", table_name,
                                 "index " + table_name + " (" + column + ")", evidence,
                                 {"CREATE INDEX " + quote_identifier(index_name) + " ON " + table_name + " (" +
                                  quote_identifier(column) + ")"}));
        }
    }
}

// reference_advice: small distributed tables named in multi-shard joins with a bigger distributed table.
void reference_advice(const json &insights, const json &tables, const WorkerTotals &totals, json &out)
{
    for (const auto &table : tables) {
        if (table["kind"] != "distributed" || table["shards"].size() < 2 || totals.workers_missing > 0)
            continue;
        ShardSum size = sum_over_shards(totals, table, table["relname"]);
        if (size.copies_found == 0 || size.bytes > kSmallTableBytes)
            continue;
        long long calls = 0;
        json patterns = json::array();
        for (const auto &pattern : insights["patterns"]) {
            if (pattern["ran_on"] != "multi-shard" || !pattern["query"].is_string())
                continue;
            std::set<std::string> found = words(pattern["query"]);
            if (found.count("join") == 0 || found.count(table["relname"].get<std::string>()) == 0)
                continue;
            // joined with a bigger distributed table (of two small ones, the smaller is the reference)
            bool joins_bigger = false;
            for (const auto &other : tables)
                joins_bigger = joins_bigger ||
                               (other["oid"] != table["oid"] && other["kind"] == "distributed" &&
                                found.count(other["relname"].get<std::string>()) > 0 &&
                                sum_over_shards(totals, other, other["relname"]).bytes > size.bytes);
            if (!joins_bigger)
                continue;
            calls += pattern["calls"].get<long long>();
            if (patterns.size() < 3)
                patterns.push_back(pattern["query"]);
        }
        if (calls == 0)
            continue;
        const std::string name = table["table_name"];
        json evidence{{"patterns", patterns},
                      {"multi_shard_calls", calls},
                      {"size_bytes", size.bytes},
                      {"shard_count", table["shards"].size()},
                      {"why", "a small table joined from multi-shard statements: as a reference table every group has "
                              "a copy and the joins run next to the data"}};
        out.push_back(advice("reference_table:" + name, "reference_table", name, "make " + name + " a reference table",
                             evidence,
                             {"SELECT shale.undistribute_table(" + quote_literal(name) + ")",
                              "SELECT shale.make_reference_table(" + quote_literal(name) + ")"}));
    }
}

// hot_tenant_advice: one tenant with most of a table's single-shard statements.
// Isolating it takes up to two splits ([min, h-1] | [h, max], then [h, h] |
// [h+1, max]): the advice names the next one until the tenant's shard is [h, h].
void hot_tenant_advice(const json &tenants, const std::map<std::string, json> &tables_by_name, json &out)
{
    for (const auto &tenant : tenants) {
        if (!tenant["percent_of_statements"].is_number() || !tenant["statements"].is_number() ||
            tenant["percent_of_statements"].get<double>() < kHotTenantPercent ||
            tenant["statements"].get<long long>() < kHotTenantStatements)
            continue;
        auto table = tables_by_name.find(tenant["table_name"]);
        if (table == tables_by_name.end() || !tenant.contains("hash") || !tenant["hash"].is_number())
            continue;
        long long hash = tenant["hash"];
        for (const auto &shard : table->second["shards"]) {
            long long low = shard["hash_min"], high = shard["hash_max"];
            if (hash < low || hash > high || low == high)
                continue;
            long long split_at = hash > low ? hash - 1 : hash;
            const std::string name = table->second["table_name"];
            json evidence{{"tenant", tenant["tenant"]},
                          {"statements", tenant["statements"]},
                          {"percent_of_statements", tenant["percent_of_statements"]},
                          {"tenant_hash", hash},
                          {"shard_id", shard["shard_id"]},
                          {"shard_hash_range", std::to_string(low) + ".." + std::to_string(high)},
                          {"why", "one tenant has most of the table's statements; on a shard of its own it can be "
                                  "moved to a group of its own"}};
            out.push_back(advice("hot_tenant:" + name + ":" + tenant["tenant"].get<std::string>(), "hot_tenant", name,
                                 "isolate tenant " + tenant["tenant"].get<std::string>() + " of " + name, evidence,
                                 {"SELECT shale.split_shard(" + std::to_string(shard["shard_id"].get<long long>()) +
                                  ", " + std::to_string(split_at) + ")"}));
        }
    }
}

// index_advice: unused and duplicate indexes of distributed and reference tables.
void index_advice(const json &insights, const json &tables, const json &indexes, const WorkerTotals &totals,
                  json &out)
{
    // an index on a column multi-shard patterns filter on is wanted, not unused (maybe just made for them)
    std::set<std::pair<std::string, std::string>> wanted;
    for (const auto &pattern : insights["patterns"])
        if (pattern["fanout_filter_table"].is_string() && pattern["fanout_filter_column"].is_string())
            wanted.insert(std::make_pair(pattern["fanout_filter_table"].get<std::string>(),
                                         pattern["fanout_filter_column"].get<std::string>()));
    std::map<std::string, json> tables_by_oid;
    for (const auto &table : tables)
        tables_by_oid[table["oid"]] = table;
    std::map<std::pair<std::string, std::string>, std::vector<json>> by_signature;
    for (const auto &index : indexes) {
        auto table = tables_by_oid.find(index["table_oid"]);
        if (table == tables_by_oid.end())
            continue;
        by_signature[std::make_pair(index["table_oid"].get<std::string>(), index["signature"].get<std::string>())]
            .push_back(index);
        if (index["unique"].get<bool>() || index["constraint"].get<bool>() || totals.workers_missing > 0)
            continue;  // a unique index is used by every write; a worker unread could have scans
        if (!index["columns"].empty() && wanted.count(std::make_pair(table->second["table_name"].get<std::string>(),
                                                                 index["columns"][0].get<std::string>())) > 0)
            continue;
        ShardSum sum = sum_over_shards(totals, table->second, index["name"]);
        if (sum.copies_found == 0 || sum.scans > 0)
            continue;
        json evidence{{"scans", 0},
                      {"shard_copies", sum.copies_found},
                      {"size_bytes", sum.bytes},
                      {"scans_counted_since", totals.since},
                      {"definition", index["definition"]},
                      {"why", "no scan on any of its " + std::to_string(sum.copies_found) +
                                  " shard copies, and every write still updates them"}};
        out.push_back(advice("unused_index:" + index["index"].get<std::string>(), "unused_index",
                             table->second["table_name"], "drop unused index " + index["index"].get<std::string>(),
                             evidence, {"DROP INDEX " + index["index"].get<std::string>()}));
    }
    for (const auto &[key, same] : by_signature) {
        if (same.size() < 2)
            continue;
        // keep the one behind a constraint, else the oldest; drop the others (not constraints)
        auto keep = std::find_if(same.begin(), same.end(), [](const json &index) { return index["constraint"].get<bool>(); });
        if (keep == same.end())
            keep = same.begin();
        const json &table = tables_by_oid[key.first];
        for (auto index = same.begin(); index != same.end(); ++index) {
            if (index == keep || (*index)["constraint"].get<bool>())
                continue;
            ShardSum sum = sum_over_shards(totals, table, (*index)["name"]);
            json evidence{{"duplicate_of", (*keep)["index"]},
                          {"definition", (*index)["definition"]},
                          {"same_as", (*keep)["definition"]},
                          {"size_bytes", sum.bytes},
                          {"shard_copies", sum.copies_found},
                          {"why", "the same columns, operator classes and predicate as " +
                                      (*keep)["index"].get<std::string>()}};
            out.push_back(advice("duplicate_index:" + (*index)["index"].get<std::string>(), "duplicate_index",
                                 table["table_name"], "drop duplicate index " + (*index)["index"].get<std::string>(),
                                 evidence, {"DROP INDEX " + (*index)["index"].get<std::string>()}));
        }
    }
}

}  // namespace

std::string shard_index_name(const std::string &index_name, long long shard_id)
{
    std::string suffix = "_" + std::to_string(shard_id);
    size_t room = 63 - suffix.size();
    size_t length = std::min(index_name.size(), room);
    // never cut inside a UTF-8 character: back off over continuation bytes
    while (length > 0 && length < index_name.size() && (static_cast<unsigned char>(index_name[length]) & 0xC0) == 0x80)
        length--;
    return index_name.substr(0, length) + suffix;
}

json compute_advice(const PgConnection &router, const json &insights, const std::string &password_file)
{
    json tables = router_json(router, kTablesSql);
    json indexes = router_json(router, kIndexesSql);
    std::map<std::string, json> tables_by_name;
    for (const auto &table : tables)
        tables_by_name[table["table_name"]] = table;
    WorkerTotals totals = read_workers(router, password_file);
    json tenants = router_json(router,
                               "SELECT coalesce(json_agg(row_to_json(t)), '[]') FROM (SELECT table_name::text, tenant, hash,"
                               " statements, percent_of_statements::float8 FROM shale.tenant_stats) t");
    json list = json::array();
    distribution_advice(insights, tables_by_name, indexes, tenants, list);
    reference_advice(insights, tables, totals, list);
    hot_tenant_advice(tenants, tables_by_name, list);
    index_advice(insights, tables, indexes, totals, list);

    std::set<std::string> dismissed;
    if (router_json(router, "SELECT to_json(to_regclass('shale_insights.dismissed') IS NOT NULL)") == true) {
        json rows = router_json(router, "SELECT coalesce(json_agg(advice_id), '[]') FROM shale_insights.dismissed");
        for (const auto &id : rows)
            dismissed.insert(id.get<std::string>());
    }
    json active = json::array(), hidden = json::array();
    for (auto &item : list)
        (dismissed.count(item["id"]) ? hidden : active).push_back(item);
    return json{{"advice", active},
                {"dismissed", hidden},
                {"workers_read", totals.workers_read},
                {"workers_unreachable", totals.workers_missing}};
}

json apply_advice(const PgConnection &router, const json &advice_list, const std::string &id)
{
    for (const auto &item : advice_list) {
        if (item["id"] != id)
            continue;
        json results = json::array();
        for (const auto &statement : item["statements"]) {
            PgResult result = router.exec(statement.get<std::string>());
            results.push_back({{"statement", statement},
                               {"ok", result.ok()},
                               {"error", result.ok() ? json(nullptr) : json(result.error_message())}});
            if (!result.ok())
                break;
        }
        return results;
    }
    throw InsightsError("no advice " + id + " (see shale insights advice)");
}

bool dismiss_advice(const PgConnection &router, const std::string &id, std::string *error)
{
    if (!ensure_insights_schema(router, error))
        return false;
    PgResult result = router.exec_params(
        "INSERT INTO shale_insights.dismissed (advice_id) VALUES ($1) ON CONFLICT (advice_id) DO NOTHING", {id});
    if (!result.ok() && error != nullptr)
        *error = result.error_message();
    return result.ok();
}

}  // namespace shale
