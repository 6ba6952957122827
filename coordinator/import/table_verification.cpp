// table_verification.cpp — row counts and checksums on both sides of an import.
#include "import/table_verification.h"

#include <future>

#include "common/pg_connection.h"
#include "import/source_connection.h"

namespace shale::import {

namespace {

// checksum_sql counts the rows of a table and sums a 60-bit hash of each row's text.
std::string checksum_sql(const SourceTable &table, bool source_side)
{
    std::string columns;
    for (const auto &column : table.columns)
        columns += (columns.empty() ? "" : ", ") + quote_identifier(column.name);
    return "SELECT count(*), coalesce(sum(('x' || substr(md5(ROW(" + columns +
           ")::text), 1, 15))::bit(60)::bigint), 0) FROM " + (source_side && !table.partitioned ? "ONLY " : "") +
           table.qualified;
}

// check_side runs the checksum of every table on one side, in order.
std::vector<std::pair<std::string, std::string>> check_side(const std::string &uri, const std::string &what,
                                                            const std::vector<const SourceTable *> &tables,
                                                            bool source_side, std::vector<std::string> &errors)
{
    std::vector<std::pair<std::string, std::string>> results(tables.size());
    errors.assign(tables.size(), "");
    PgConnection connection = connect_checked(uri, what);
    connection.exec(kSessionSettings);
    for (size_t i = 0; i < tables.size(); ++i) {
        PgResult result = connection.exec(checksum_sql(*tables[i], source_side));
        if (!result.ok()) {
            errors[i] = what + ": " + result.error_message();
            continue;
        }
        results[i] = {result.value(0, 0), result.value(0, 1)};
    }
    return results;
}

}  // namespace

std::vector<TableCheck> verify_tables(const std::string &source_uri, const std::string &target_uri,
                                      const SourceCatalog &catalog, const ImportPlan &plan)
{
    std::vector<const SourceTable *> tables;
    for (const TablePlan *table_plan : plan.imported())
        tables.push_back(catalog.table(table_plan->table));
    std::vector<std::string> source_errors, target_errors;
    auto source_side = std::async(std::launch::async, [&] {
        return check_side(source_uri, "source", tables, true, source_errors);
    });
    auto target = check_side(target_uri, "Shale", tables, false, target_errors);
    auto source = source_side.get();
    std::vector<TableCheck> checks;
    for (size_t i = 0; i < tables.size(); ++i)
        checks.push_back({tables[i]->qualified, source[i].first, target[i].first, source[i].second,
                          target[i].second, source_errors[i].empty() ? target_errors[i] : source_errors[i]});
    return checks;
}

}  // namespace shale::import
