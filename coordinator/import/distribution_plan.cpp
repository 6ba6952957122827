// distribution_plan.cpp — proposes, writes, reads and checks the distribution
// plan of an import (see distribution_plan.h).
#include "import/distribution_plan.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "cli/cli_error.h"
#include "import/source_connection.h"
#include "import/source_inspection.h"

namespace shale::import {

namespace {

// Column names that usually hold the tenant in a multi-tenant schema.
const std::vector<std::string> kTenantNames = {"tenant_id", "account_id", "organization_id", "org_id",
                                               "customer_id", "company_id", "workspace_id", "team_id",
                                               "store_id", "shop_id", "client_id", "project_id"};

// A table this small (rows and bytes) can be copied to every worker group.
constexpr double kReferenceMaxRows = 100000;
constexpr std::int64_t kReferenceMaxBytes = 64ll << 20;

// Types a distribution column can have (hashable, built in).
bool distributable_type(const std::string &type)
{
    static const std::set<std::string> types = {"bigint", "integer", "smallint", "uuid", "text",
                                                "character varying", "numeric", "date"};
    std::string base = type.substr(0, type.find('('));
    return types.count(base) > 0;
}

bool is_small(const SourceTable &table)
{
    return table.row_estimate <= kReferenceMaxRows && table.bytes <= kReferenceMaxBytes;
}

std::string join(const std::vector<std::string> &items)
{
    std::string joined;
    for (const auto &item : items)
        joined += (joined.empty() ? "" : ", ") + item;
    return joined;
}

// TenantChoice is the shared tenant key: its name and the table it points to.
struct TenantChoice {
    std::string column;
    std::string root_table;   // the table the tenant column references ("" if none)
    std::string root_column;  // that table's referenced column
    int tables = 0;
};

// choose_tenant finds the column name most tables share that names a tenant
// (a known tenant name, or a foreign key column that several tables point at
// the same table with).
TenantChoice choose_tenant(const SourceCatalog &catalog)
{
    std::map<std::string, int> tables_with;
    for (const auto &table : catalog.tables)
        for (const auto &column : table.columns)
            if (distributable_type(column.type))
                ++tables_with[column.name];
    // referenced[column] counts foreign keys of one column, by referenced table.column
    std::map<std::string, std::map<std::string, int>> referenced;
    for (const auto &key : catalog.foreign_keys)
        if (key.columns.size() == 1)
            ++referenced[key.columns[0]][key.referenced_table + "\n" + key.referenced_columns[0]];
    TenantChoice best;
    double best_score = 0;
    for (const auto &[name, count] : tables_with) {
        bool known = std::find(kTenantNames.begin(), kTenantNames.end(), name) != kTenantNames.end();
        int references = 0;
        for (const auto &[target, keys] : referenced[name])
            references = std::max(references, keys);
        if (count < 2 || (!known && references < 2))
            continue;
        double score = count + (known ? 0.5 : 0) + (references >= 2 ? 0.5 : 0);
        if (score > best_score) {
            best_score = score;
            best = TenantChoice{name, "", "", count};
        }
    }
    if (best.column.empty())
        return best;
    // The root: the table most foreign keys of the tenant column point at, else
    // a table named after the column (account_id -> accounts) with a one-column key.
    int most = 0;
    for (const auto &[target, keys] : referenced[best.column])
        if (keys > most) {
            most = keys;
            best.root_table = target.substr(0, target.find('\n'));
            best.root_column = target.substr(target.find('\n') + 1);
        }
    if (best.root_table.empty()) {
        std::string stem = best.column.substr(0, best.column.size() - 3);
        for (const auto &table : catalog.tables)
            if ((table.name == stem || table.name == stem + "s" || table.name == stem + "es") &&
                table.primary_key.size() == 1 && !table.column(best.column)) {
                best.root_table = table.qualified;
                best.root_column = table.primary_key[0];
            }
    }
    return best;
}

// referenced_by counts the foreign keys of other tables that point at each table.
std::map<std::string, int> referenced_by(const SourceCatalog &catalog)
{
    std::map<std::string, int> counts;
    for (const auto &key : catalog.foreign_keys)
        if (key.table != key.referenced_table)
            ++counts[key.referenced_table];
    return counts;
}

// has_foreign_keys says whether a table has foreign keys to other tables.
bool has_foreign_keys(const SourceCatalog &catalog, const std::string &table)
{
    return std::any_of(catalog.foreign_keys.begin(), catalog.foreign_keys.end(),
                       [&](const SourceForeignKey &key) { return key.table == table && key.referenced_table != table; });
}

// own_column picks a distribution column for a large table that has no tenant
// column: its one-column primary key, else its first not-null hashable column.
std::string own_column(const SourceTable &table)
{
    if (table.primary_key.size() >= 1) {
        const SourceColumn *column = table.column(table.primary_key[0]);
        if (column && distributable_type(column->type))
            return column->name;
    }
    for (const auto &column : table.columns)
        if (column.not_null && distributable_type(column.type))
            return column.name;
    return "";
}

// plan_table chooses for one table.
TablePlan plan_table(const SourceCatalog &catalog, const SourceTable &table, const TenantChoice &tenant,
                     const std::map<std::string, int> &references, std::string &first_distributed)
{
    TablePlan plan{table.qualified, "", "", "", "", ""};
    std::string note;
    if (table.partitioned)
        note = "; partitioned on the source (" + std::to_string(table.partitions) +
               " partitions): imported as one table, its partitions are not kept (Shale's shards take their place)";
    if (!table.has_replica_identity()) {
        plan.without_key = "replica_identity_full";
        note += "; no primary key: the import sets REPLICA IDENTITY FULL on the source so its updates and deletes "
                "replicate (set \"kind\": \"skip\" to leave the table out)";
    }
    auto found = references.find(table.qualified);
    int referenced = found == references.end() ? 0 : found->second;
    const SourceColumn *tenant_column = tenant.column.empty() ? nullptr : table.column(tenant.column);
    if (tenant_column && distributable_type(tenant_column->type)) {
        plan.kind = "distributed";
        plan.column = tenant.column;
        plan.reason = tenant.column + " is the tenant key shared by " + std::to_string(tenant.tables) +
                      " tables: a tenant's rows of every table live in one shard";
    } else if (!tenant.root_table.empty() && table.qualified == tenant.root_table) {
        plan.kind = "distributed";
        plan.column = tenant.root_column;
        plan.reason = "the tenants themselves: " + std::to_string(referenced) + " table(s) point here by " +
                      tenant.column + "; distributed by " + tenant.root_column + " and co-located with them";
    } else if (is_small(table) && referenced > 0) {
        plan.kind = "reference";
        plan.reason = "small (" + std::to_string(static_cast<long long>(table.row_estimate)) +
                      " rows) and referenced by " + std::to_string(referenced) +
                      " foreign key(s): a copy in every worker group joins and checks locally";
    } else if (is_small(table) && !has_foreign_keys(catalog, table.qualified)) {
        plan.kind = "local";
        plan.reason = "small and joined to no table by a foreign key: stays a plain table on the router "
                      "(make it \"reference\" to join it in single-shard queries)";
    } else if (!own_column(table).empty()) {
        plan.kind = "distributed";
        plan.column = own_column(table);
        plan.reason = "large (" + std::to_string(static_cast<long long>(table.row_estimate)) +
                      " rows) without the tenant key: distributed by " + plan.column;
        plan.reason += note;
        return plan;
    } else {
        plan.kind = "reference";
        plan.reason = "no column to distribute by (no hashable not-null column): a reference table";
    }
    // Tenant tables co-locate with the first of them (the root, which propose_plan puts first).
    if (plan.kind == "distributed") {
        if (first_distributed.empty())
            first_distributed = table.qualified;
        else
            plan.colocate_with = first_distributed;
    }
    plan.reason += note;
    return plan;
}

// check_table_plan throws unless a (possibly edited) table plan can be carried out.
void check_table_plan(const TablePlan &plan, const SourceTable &table, const ImportPlan &all)
{
    static const std::set<std::string> kinds = {"distributed", "reference", "local", "skip"};
    if (!kinds.count(plan.kind))
        throw CliError("plan: table " + plan.table + " has \"kind\": \"" + plan.kind +
                       "\"; use distributed, reference, local or skip");
    if (plan.kind == "distributed") {
        const SourceColumn *column = table.column(plan.column);
        if (!column)
            throw CliError("plan: table " + plan.table + " has no column \"" + plan.column +
                           "\" to distribute by; columns: " + [&] {
                               std::vector<std::string> names;
                               for (const auto &c : table.columns)
                                   names.push_back(c.name);
                               return join(names);
                           }());
        if (!distributable_type(column->type))
            throw CliError("plan: column " + plan.column + " of " + plan.table + " has type " + column->type +
                           ", which Shale cannot distribute by here; pick an integer, uuid, text, numeric or date column");
        if (!plan.colocate_with.empty()) {
            const TablePlan *other = all.find(plan.colocate_with);
            if (!other || other->kind != "distributed")
                throw CliError("plan: table " + plan.table + " is co-located with " + plan.colocate_with +
                               ", which the plan does not distribute");
        }
    }
    if (plan.kind != "skip" && !table.has_replica_identity() && plan.without_key != "replica_identity_full")
        throw CliError("plan: table " + plan.table + " has no primary key or replica identity; set \"without_key\": "
                       "\"replica_identity_full\" (the import sets REPLICA IDENTITY FULL on the source) or "
                       "\"kind\": \"skip\"");
}

}  // namespace

const TablePlan *ImportPlan::find(const std::string &table) const
{
    for (const auto &plan : tables)
        if (plan.table == table)
            return &plan;
    return nullptr;
}

std::vector<const TablePlan *> ImportPlan::imported() const
{
    std::vector<const TablePlan *> result;
    for (const auto &plan : tables)
        if (plan.kind != "skip")
            result.push_back(&plan);
    return result;
}

ImportPlan propose_plan(const SourceCatalog &catalog)
{
    ImportPlan plan;
    TenantChoice tenant = choose_tenant(catalog);
    plan.tenant_column = tenant.column;
    std::map<std::string, int> references = referenced_by(catalog);
    std::string first_distributed;
    // The root goes first so that every tenant table co-locates with it.
    std::vector<const SourceTable *> ordered;
    for (const auto &table : catalog.tables)
        if (table.qualified == tenant.root_table)
            ordered.push_back(&table);
    for (const auto &table : catalog.tables)
        if (table.qualified != tenant.root_table)
            ordered.push_back(&table);
    for (const SourceTable *table : ordered)
        plan.tables.push_back(plan_table(catalog, *table, tenant, references, first_distributed));
    // Keep the catalog's order in the file.
    std::sort(plan.tables.begin(), plan.tables.end(),
              [](const TablePlan &a, const TablePlan &b) { return a.table < b.table; });
    return plan;
}

std::vector<std::string> target_primary_key(const SourceTable &table, const TablePlan &plan)
{
    std::vector<std::string> key = table.primary_key;
    if (key.empty() || plan.kind != "distributed")
        return key;
    if (std::find(key.begin(), key.end(), plan.column) == key.end())
        key.insert(key.begin(), plan.column);
    return key;
}

std::vector<ForeignKeyPlan> plan_foreign_keys(const SourceCatalog &catalog, const ImportPlan &plan)
{
    std::vector<ForeignKeyPlan> result;
    for (const auto &key : catalog.foreign_keys) {
        const TablePlan *from = plan.find(key.table);
        const TablePlan *to = plan.find(key.referenced_table);
        if (!from || !to || from->kind == "skip" || to->kind == "skip")
            continue;
        ForeignKeyPlan decision{key, "drop", key.columns, key.referenced_columns, ""};
        const SourceTable *referenced = catalog.table(key.referenced_table);
        auto colocated = [&](const TablePlan &a, const TablePlan &b) {
            auto root = [&](const TablePlan &p) { return p.colocate_with.empty() ? p.table : p.colocate_with; };
            return root(a) == root(b);
        };
        if (to->kind == "reference" && (from->kind == "distributed" || from->kind == "reference")) {
            decision.action = "keep";
            decision.reason = "to a reference table: every worker group checks it";
        } else if (from->kind == "local" && to->kind == "local") {
            decision.action = "keep";
            decision.reason = "between local tables on the router";
        } else if (from->kind == "distributed" && to->kind == "distributed" && colocated(*from, *to)) {
            auto position = std::find(key.columns.begin(), key.columns.end(), from->column);
            bool paired = position != key.columns.end() &&
                          key.referenced_columns[position - key.columns.begin()] == to->column;
            bool referenced_has_column = referenced && referenced->column(to->column);
            if (paired) {
                decision.action = "keep";
                decision.reason = "between co-located tables, on the distribution columns";
            } else if (referenced_has_column && catalog.table(key.table)->column(from->column) &&
                       std::find(key.columns.begin(), key.columns.end(), from->column) == key.columns.end()) {
                // With the tenant column added on both sides each shard could check it, but it would be
                // stricter than the source's key (a row could no longer point at another tenant's row),
                // so changes the source accepts could fail on Shale: it is left to the user.
                std::vector<std::string> columns = key.columns, referenced_columns = key.referenced_columns;
                columns.insert(columns.begin(), from->column);
                referenced_columns.insert(referenced_columns.begin(), to->column);
                decision.reason = "does not pair the distribution columns, so a shard cannot check it. If every row "
                                  "points at a row of its own tenant, add it after the cutover: ALTER TABLE " +
                                  key.table + " ADD FOREIGN KEY (" + join(columns) + ") REFERENCES " +
                                  key.referenced_table + " (" + join(referenced_columns) + ")";
            } else {
                decision.reason = "does not pair the distribution columns: a shard could not check it";
            }
        } else {
            decision.reason = "from a " + from->kind + " table to a " + to->kind +
                              " table: Shale cannot check it (the referenced rows live elsewhere)";
        }
        result.push_back(decision);
    }
    return result;
}

nlohmann::ordered_json plan_to_json(const SourceCatalog &catalog, const ImportPlan &plan)
{
    nlohmann::ordered_json document;
    document["comment"] = "shale import plan: edit \"kind\" (distributed | reference | local | skip), \"column\" and "
                          "\"colocate_with\", then pass this file with --plan. Keys below the tables are for "
                          "information: they follow from the tables.";
    document["tenant_column"] = plan.tenant_column;
    document["tables"] = nlohmann::ordered_json::array();
    for (const auto &table_plan : plan.tables) {
        nlohmann::ordered_json entry = {{"table", table_plan.table}, {"kind", table_plan.kind}};
        if (table_plan.kind == "distributed") {
            entry["column"] = table_plan.column;
            entry["colocate_with"] = table_plan.colocate_with;
        }
        if (!table_plan.without_key.empty())
            entry["without_key"] = table_plan.without_key;
        const SourceTable *table = catalog.table(table_plan.table);
        if (table) {
            entry["rows"] = static_cast<long long>(table->row_estimate);
            entry["bytes"] = table->bytes;
            std::vector<std::string> key = target_primary_key(*table, table_plan);
            if (key != table->primary_key)
                entry["primary_key_on_shale"] = key;
        }
        entry["reason"] = table_plan.reason;
        document["tables"].push_back(entry);
    }
    document["foreign_keys"] = nlohmann::ordered_json::array();
    for (const auto &decision : plan_foreign_keys(catalog, plan))
        document["foreign_keys"].push_back(nlohmann::ordered_json{{"name", decision.key.name},
                                            {"table", decision.key.table},
                                            {"columns", decision.columns},
                                            {"references", decision.key.referenced_table},
                                            {"referenced_columns", decision.referenced_columns},
                                            {"action", decision.action},
                                            {"reason", decision.reason}});
    return document;
}

ImportPlan plan_from_json(const nlohmann::json &document, const SourceCatalog &catalog)
{
    ImportPlan plan;
    if (!document.is_object() || !document.contains("tables") || !document["tables"].is_array())
        throw CliError("plan: the file has no \"tables\" array; write one with shale import plan");
    plan.tenant_column = document.value("tenant_column", "");
    for (const auto &entry : document["tables"]) {
        if (!entry.is_object() || !entry.contains("table") || !entry["table"].is_string())
            throw CliError("plan: every entry of \"tables\" needs \"table\": \"schema.name\"");
        TablePlan table_plan;
        table_plan.table = entry["table"].get<std::string>();
        table_plan.kind = entry.value("kind", "");
        table_plan.column = entry.value("column", "");
        table_plan.colocate_with = entry.value("colocate_with", "");
        table_plan.without_key = entry.value("without_key", "");
        table_plan.reason = entry.value("reason", "");
        if (!catalog.table(table_plan.table))
            throw CliError("plan: table " + table_plan.table + " is not on the source (names are as in "
                           "shale import inspect, schema-qualified)");
        if (plan.find(table_plan.table))
            throw CliError("plan: table " + table_plan.table + " appears twice");
        plan.tables.push_back(table_plan);
    }
    for (const auto &table : catalog.tables)
        if (!plan.find(table.qualified))
            throw CliError("plan: table " + table.qualified + " is missing from the plan; add it (\"kind\": "
                           "\"skip\" leaves it out)");
    for (const auto &table_plan : plan.tables)
        check_table_plan(table_plan, *catalog.table(table_plan.table), plan);
    return plan;
}

ImportPlan load_plan_file(const std::string &path, const SourceCatalog &catalog)
{
    std::ifstream file(path);
    if (!file)
        throw CliError("cannot read the plan file " + path);
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(file);
    } catch (const nlohmann::json::exception &error) {
        throw CliError("plan file " + path + " is not valid JSON: " + error.what());
    }
    return plan_from_json(document, catalog);
}

int plan_command(const std::string &source_uri, const std::string &out_file)
{
    PgConnection source = connect_checked(source_uri, "source");
    SourceCatalog catalog = load_source_catalog(source);
    ImportPlan plan = propose_plan(catalog);
    std::string text = plan_to_json(catalog, plan).dump(2) + "\n";
    if (out_file.empty() || out_file == "-") {
        std::cout << text;
    } else {
        std::ofstream file(out_file);
        file << text;
        if (!file)
            throw CliError("cannot write the plan file " + out_file);
        std::cerr << "shale: plan written to " << out_file << " (tenant column: "
                  << (plan.tenant_column.empty() ? "none found" : plan.tenant_column)
                  << "); edit it, then: shale import start SOURCE_URI --to SHALE_URI --plan " << out_file << "\n";
    }
    std::vector<Problem> problems = find_problems(catalog);
    for (const auto &problem : problems)
        if (problem.fatal && problem.message.find("without a primary key") == std::string::npos)
            std::cerr << "shale: warning: " << problem.message << "\n  fix: " << problem.fix << "\n";
    return 0;
}

}  // namespace shale::import
