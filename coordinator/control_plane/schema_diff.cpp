// schema_diff.cpp — the planner behind deploy requests. It walks the branch's
// changes object by object (tables, columns, distribution, constraints,
// indexes, sequences, views, functions, schemas), turns each into the online
// form of its DDL (NOT VALID then VALIDATE, CREATE INDEX CONCURRENTLY, a
// CHECK before SET NOT NULL, drops as renames kept for the revert window),
// with the statements that undo it, and writes the lint findings on the way.
#include "control_plane/schema_diff.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "control_plane/schema_ddl.h"
#include "control_plane/schema_snapshot.h"

namespace shale {

namespace {

using nlohmann::json;

// Throughputs on a small machine, for the estimates of how long a lock is held.
constexpr double kRewriteBytesPerSecond = 50e6;
constexpr double kScanBytesPerSecond = 200e6;
constexpr double kIndexBytesPerSecond = 30e6;

json statement(const std::string &sql, bool concurrently = false, bool optional = false)
{
    return {{"sql", sql}, {"concurrently", concurrently}, {"optional", optional}};
}

std::string sql_literal(const std::string &text)
{
    std::string quoted = "'";
    for (char c : text)
        quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
}

std::string unquote(const std::string &name)
{
    if (name.size() < 2 || name.front() != '"')
        return name;
    std::string plain;
    for (size_t i = 1; i + 1 < name.size(); i++) {
        plain += name[i];
        if (name[i] == '"')
            i++;
    }
    return plain;
}

std::string quote_name(const std::string &plain)
{
    bool simple = !plain.empty() && !std::isdigit(static_cast<unsigned char>(plain[0]));
    for (char c : plain)
        simple = simple && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
    if (simple)
        return plain;
    std::string quoted = "\"";
    for (char c : plain)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// derived_name is PREFIX_TAG_NAME cut to PostgreSQL's 63 bytes, quoted when needed.
std::string derived_name(const std::string &prefix, const std::string &tag, const std::string &name)
{
    std::string plain = prefix + tag + "_" + unquote(name);
    if (plain.size() > 63)
        plain.resize(63);
    return quote_name(plain);
}

std::string seconds_text(double seconds)
{
    std::ostringstream text;
    if (seconds < 1)
        text << "under 1 s";
    else
        text << "about " << static_cast<long long>(std::ceil(seconds)) << " s";
    return text.str();
}

std::string megabytes(long long bytes)
{
    std::ostringstream text;
    text.precision(bytes < 10000000 ? 2 : 0);
    text << std::fixed << static_cast<double>(bytes) / 1e6 << " MB";
    return text.str();
}

// comparable drops what changes without a schema change (sizes, creation order, shard counts).
json comparable(json object)
{
    if (!object.is_object())
        return object;
    for (const char *field : {"order", "rows", "bytes", "shard_count", "colocation_id", "valid", "validated"})
        object.erase(field);
    return object;
}

// text_of is object[field] as a string, "" when it is missing or null.
std::string text_of(const json &object, const char *field)
{
    return object.is_object() && object.contains(field) && object[field].is_string() ? object[field].get<std::string>()
                                                                                      : "";
}

json column_of(const json &table, const std::string &name)
{
    if (!table.is_object())
        return nullptr;
    for (const auto &column : table["columns"])
        if (column["name"] == name)
            return column;
    return nullptr;
}

json section_item(const json &snapshot, const std::string &section, const std::string &key)
{
    return snapshot[section].contains(key) ? snapshot[section][key] : json(nullptr);
}

bool strip_suffix(std::string &text, const std::string &suffix)
{
    if (text.size() < suffix.size() || text.compare(text.size() - suffix.size(), suffix.size(), suffix) != 0)
        return false;
    text.resize(text.size() - suffix.size());
    return true;
}

class Planner {
public:
    Planner(const json &base_branch, const json &branch, const json &base_parent, const json &parent,
            std::string tag)
        : base_(base_branch), branch_(branch), base_parent_(base_parent), parent_(parent), tag_(std::move(tag))
    {
    }

    json run()
    {
        plan_schemas();
        plan_sequences();
        plan_functions();
        plan_tables();
        plan_constraints();
        plan_indexes();
        plan_views();
        std::stable_sort(steps_.begin(), steps_.end(),
                         [](const auto &a, const auto &b) { return a.first < b.first; });
        json steps = json::array();
        std::string ddl;
        for (auto &entry : steps_) {
            entry.second["number"] = static_cast<int>(steps.size()) + 1;
            for (const auto &sql : entry.second["statements"])
                ddl += sql["sql"].get<std::string>() + ";\n";
            steps.push_back(entry.second);
        }
        return {{"steps", steps}, {"lint", lint_}, {"conflicts", conflicts_}, {"ddl", ddl}};
    }

private:
    void step(int phase, const std::string &object, const std::string &action, json statements, json revert,
              json kept = nullptr)
    {
        steps_.push_back({phase, {{"object", object}, {"action", action}, {"statements", statements},
                                  {"revert", revert}, {"kept", kept}}});
    }

    void finding(const std::string &code, const std::string &severity, const std::string &object,
                 const std::string &message, const std::string &why, const std::string &what_to_do,
                 double estimate_seconds = -1)
    {
        json entry = {{"code", code}, {"severity", severity}, {"object", object}, {"message", message},
                      {"why", why}, {"what_to_do", what_to_do}};
        entry["lock_estimate_seconds"] = estimate_seconds >= 0 ? json(std::round(estimate_seconds * 10) / 10) : json(nullptr);
        lint_.push_back(entry);
    }

    // conflict records that the parent changed an object the branch changes too.
    void check_conflict(const std::string &object, const json &then, const json &now)
    {
        if (comparable(then) == comparable(now))
            return;
        std::string what = now.is_null() ? "dropped it" : then.is_null() ? "made it too" : "changed it";
        conflicts_.push_back({{"object", object},
                              {"message", "the parent " + what + " since the branch was made"},
                              {"what_to_do", "reset the branch (shale branch reset) to take the parent's change, "
                                             "make the change again on it, and open a new deploy request"}});
    }

    long long table_bytes(const std::string &key) const
    {
        json table = section_item(parent_, "tables", key);
        return table.is_object() ? table.value("bytes", 0LL) : 0;
    }

    std::string table_kind(const std::string &key) const
    {
        json table = section_item(branch_, "tables", key);
        if (!table.is_object())
            table = section_item(parent_, "tables", key);
        return table.is_object() ? table.value("kind", "local") : "local";
    }

    bool is_new_table(const std::string &key) const
    {
        return branch_["tables"].contains(key) && !base_["tables"].contains(key);
    }

    bool is_dropped_table(const std::string &key) const
    {
        return base_["tables"].contains(key) && !branch_["tables"].contains(key);
    }

    void plan_schemas()
    {
        std::set<std::string> then(base_["schemas"].begin(), base_["schemas"].end());
        std::set<std::string> now(branch_["schemas"].begin(), branch_["schemas"].end());
        for (const auto &schema : now)
            if (!then.count(schema))
                step(20, "schema " + schema, "create_schema", {statement("CREATE SCHEMA IF NOT EXISTS " + schema)},
                     {statement("DROP SCHEMA IF EXISTS " + schema, false, true)});
        for (const auto &schema : then)
            if (!now.count(schema))
                step(95, "schema " + schema, "drop_schema", {statement("DROP SCHEMA " + schema)},
                     {statement("CREATE SCHEMA IF NOT EXISTS " + schema)});
    }

    void plan_sequences()
    {
        for (const auto &item : branch_["sequences"].items()) {
            const std::string &key = item.key();
            json then = section_item(base_, "sequences", key);
            if (then.is_null()) {
                check_conflict("sequence " + key, section_item(base_parent_, "sequences", key),
                               section_item(parent_, "sequences", key));
                step(21, "sequence " + key, "create_sequence", {statement(create_sequence_statement(key, item.value()))},
                     {statement("DROP SEQUENCE IF EXISTS " + key, false, true)});
            } else if (comparable(then) != comparable(item.value())) {
                check_conflict("sequence " + key, section_item(base_parent_, "sequences", key),
                               section_item(parent_, "sequences", key));
                step(21, "sequence " + key, "alter_sequence", {statement(alter_sequence(key, item.value()))},
                     {statement(alter_sequence(key, then))});
            }
        }
        for (const auto &item : base_["sequences"].items()) {
            if (branch_["sequences"].contains(item.key()))
                continue;
            std::string owner = text_of(item.value(), "owned_by");
            if (!owner.empty() && owner.rfind(".") != std::string::npos &&
                is_dropped_table(owner.substr(0, owner.rfind("."))))
                continue;  // goes with its table
            check_conflict("sequence " + item.key(), section_item(base_parent_, "sequences", item.key()),
                           section_item(parent_, "sequences", item.key()));
            step(88, "sequence " + item.key(), "drop_sequence", {statement("DROP SEQUENCE " + item.key())},
                 {statement(create_sequence_statement(item.key(), item.value()))});
            finding("drop_sequence", "warning", "sequence " + item.key(), "the deploy drops sequence " + item.key(),
                    "a revert creates it again from its start value: the values it handed out are not remembered",
                    "make sure no default or application still calls nextval on it");
        }
    }

    static std::string alter_sequence(const std::string &key, const json &sequence)
    {
        return "ALTER SEQUENCE " + key + " INCREMENT BY " + std::to_string(sequence["increment"].get<long long>()) +
               " MINVALUE " + std::to_string(sequence["min"].get<long long>()) + " MAXVALUE " +
               std::to_string(sequence["max"].get<long long>()) + " CACHE " +
               std::to_string(sequence["cache"].get<long long>()) + (sequence.value("cycle", false) ? " CYCLE" : " NO CYCLE");
    }

    void plan_functions()
    {
        for (const auto &item : branch_["functions"].items()) {
            json then = section_item(base_, "functions", item.key());
            if (comparable(then) == comparable(item.value()))
                continue;
            check_conflict("function " + item.key(), section_item(base_parent_, "functions", item.key()),
                           section_item(parent_, "functions", item.key()));
            json revert = then.is_null()
                              ? json::array({statement("DROP FUNCTION IF EXISTS " + item.key(), false, true)})
                              : json::array({statement(then["definition"].get<std::string>())});
            step(22, "function " + item.key(), then.is_null() ? "create_function" : "replace_function",
                 {statement(item.value()["definition"].get<std::string>())}, revert);
        }
        for (const auto &item : base_["functions"].items()) {
            if (branch_["functions"].contains(item.key()))
                continue;
            check_conflict("function " + item.key(), section_item(base_parent_, "functions", item.key()),
                           section_item(parent_, "functions", item.key()));
            std::string kind = item.value().value("kind", "f") == "p" ? "PROCEDURE " : "FUNCTION ";
            step(88, "function " + item.key(), "drop_function", {statement("DROP " + kind + item.key())},
                 {statement(item.value()["definition"].get<std::string>())});
        }
    }

    // colocate_target names a table the new table should be co-located with on the parent.
    std::string colocate_target(const std::string &key, const json &table)
    {
        if (table.value("kind", "") != "distributed")
            return "";
        for (const auto &other_key : sorted_keys(branch_["tables"])) {
            const json &other = branch_["tables"][other_key];
            if (other_key == key || other.value("kind", "") != "distributed" ||
                other["colocation_id"] != table["colocation_id"])
                continue;
            if (parent_["tables"].contains(other_key) && !is_new_table(other_key))
                return other_key;
            if (planned_new_tables_.count(other_key))
                return other_key;
        }
        return "";
    }

    void check_unique_columns(const std::string &table_key, const json &columns, const std::string &object)
    {
        json table = section_item(branch_, "tables", table_key);
        if (!table.is_object() || table.value("kind", "") != "distributed")
            return;
        std::string distribution = table["distribution_column"].get<std::string>();
        for (const auto &column : columns)
            if (column == distribution)
                return;
        finding("unique_without_distribution_column", "error", object,
                object + " on distributed table " + table_key + " does not include its distribution column " +
                    distribution,
                "each shard checks uniqueness only among its own rows; without the distribution column two shards "
                "could hold the same value, so Shale refuses it",
                "include " + distribution + " in the key, or make the table a reference table");
    }

    void plan_new_table(const std::string &key, const json &table)
    {
        check_conflict("table " + key, section_item(base_parent_, "tables", key), section_item(parent_, "tables", key));
        json statements = json::array({statement(create_table_statement(key, table))});
        for (const auto &item : branch_["constraints"].items())
            if (item.value()["table"] == key && item.value()["type"] != "f") {
                statements.push_back(statement(add_constraint_statement(item.value())));
                if (item.value()["type"] == "u" || item.value()["type"] == "p")
                    check_unique_columns(key, item.value()["columns"], "constraint " + item.key());
            }
        for (const auto &item : branch_["indexes"].items())
            if (item.value()["table"] == key) {
                statements.push_back(statement(item.value()["definition"].get<std::string>()));
                if (item.value().value("unique", false))
                    check_unique_columns(key, item.value()["columns"], "index " + item.key());
            }
        std::string distribute = distribute_statement(key, table, colocate_target(key, table));
        if (!distribute.empty())
            statements.push_back(statement(distribute));
        for (const auto &item : branch_["sequences"].items())
            if (text_of(item.value(), "owned_by").rfind(key + ".", 0) == 0)
                statements.push_back(
                    statement("ALTER SEQUENCE " + item.key() + " OWNED BY " + item.value()["owned_by"].get<std::string>()));
        planned_new_tables_.insert(key);
        step(30, "table " + key, "create_table", statements, {statement("DROP TABLE IF EXISTS " + key + " CASCADE")});
    }

    void plan_dropped_table(const std::string &key, const json &table)
    {
        check_conflict("table " + key, section_item(base_parent_, "tables", key), section_item(parent_, "tables", key));
        std::string schema = table["schema"].get<std::string>();
        std::string hidden = derived_name(kHiddenPrefix, tag_, table["name"].get<std::string>());
        step(85, "table " + key, "drop_table", {statement("ALTER TABLE " + key + " RENAME TO " + hidden)},
             {statement("ALTER TABLE " + schema + "." + hidden + " RENAME TO " + table["name"].get<std::string>())},
             {{"kind", "table"}, {"hidden", schema + "." + hidden}, {"original", key}});
        finding("drop_table", "warning", "table " + key, "the deploy drops table " + key,
                "queries that still use the table fail once it is gone",
                "deploy the application change that stops using it first; the table is kept hidden (renamed "
                "to " + hidden + ") until the revert window closes, so a revert brings it back with its rows");
    }

    void plan_distribution_change(const std::string &key, const json &then, const json &now)
    {
        std::string from = then.value("kind", "local"), to = now.value("kind", "local");
        double seconds = static_cast<double>(table_bytes(key)) / kRewriteBytesPerSecond;
        if (from == "local") {
            step(45, "table " + key, to == "reference" ? "make_reference_table" : "distribute_table",
                 {statement(distribute_statement(key, now, colocate_target(key, now)))},
                 {statement("SELECT shale.undistribute_table(" + sql_literal(key) + ")")});
            finding("blocking_lock", "warning", "table " + key,
                    "making " + key + " a " + (to == "reference" ? "reference" : "distributed") +
                        " table moves its rows to the worker groups under an ACCESS EXCLUSIVE lock",
                    "reads and writes of " + key + " wait until every row is copied (" + megabytes(table_bytes(key)) +
                        ": " + seconds_text(seconds) + ")",
                    "deploy when the table is small or the application can wait that long", seconds);
            return;
        }
        if (to == "local") {
            step(45, "table " + key, "undistribute_table",
                 {statement("SELECT shale.undistribute_table(" + sql_literal(key) + ")")},
                 {statement(distribute_statement(key, then, ""))});
            finding("blocking_lock", "warning", "table " + key,
                    "undistributing " + key + " copies its rows back to the router under an ACCESS EXCLUSIVE lock",
                    "reads and writes of " + key + " wait until every row is copied (" + seconds_text(seconds) + ")",
                    "deploy when the application can wait that long", seconds);
            return;
        }
        finding("distribution_column_change", "error", "table " + key,
                "the branch changes how " + key + " is distributed (" + from + " by " +
                    (text_of(then, "distribution_column").empty() ? "-" : text_of(then, "distribution_column")) + " to " + to + " by " +
                    (now["distribution_column"].is_string() ? now["distribution_column"].get<std::string>() : "-") + ")",
                "every row would move to another shard; that cannot run online",
                "create a new table distributed the new way, copy the rows into it, switch the application, then "
                "drop the old table");
    }

    void plan_column_changes(const std::string &key, const json &then, const json &now)
    {
        std::vector<json> added, dropped;
        std::string distribution = then.value("kind", "") == "distributed" ? then["distribution_column"].get<std::string>() : "";
        for (const auto &column : now["columns"])
            if (column_of(then, column["name"]).is_null())
                added.push_back(column);
        for (const auto &column : then["columns"])
            if (column_of(now, column["name"]).is_null())
                dropped.push_back(column);
        json parent_table = section_item(parent_, "tables", key), parent_then = section_item(base_parent_, "tables", key);
        for (const auto &column : added) {
            std::string object = "column " + key + "." + column["name"].get<std::string>();
            check_conflict(object, column_of(parent_then, column["name"]), column_of(parent_table, column["name"]));
            step(40, object, "add_column", {statement("ALTER TABLE " + key + " ADD COLUMN " + column_definition(column))},
                 {statement("ALTER TABLE " + key + " DROP COLUMN IF EXISTS " + column["name"].get<std::string>())});
            lint_added_column(key, object, column);
        }
        for (const auto &column : dropped) {
            std::string name = column["name"].get<std::string>();
            std::string object = "column " + key + "." + name;
            check_conflict(object, column_of(parent_then, name), column_of(parent_table, name));
            if (name == distribution) {
                finding("distribution_column_change", "error", object,
                        "the branch drops " + name + ", the distribution column of " + key,
                        "rows are placed on shards by this column; it cannot be dropped",
                        "drop the table instead, or keep the column");
                continue;
            }
            plan_dropped_column(key, object, column, added);
        }
        for (const auto &column : now["columns"]) {
            json old = column_of(then, column["name"]);
            if (old.is_null() || old == column)
                continue;
            std::string object = "column " + key + "." + column["name"].get<std::string>();
            check_conflict(object, column_of(parent_then, column["name"]), column_of(parent_table, column["name"]));
            plan_changed_column(key, object, old, column, column["name"] == distribution);
        }
    }

    void lint_added_column(const std::string &key, const std::string &object, const json &column)
    {
        std::string default_expression = column["default"].is_string() ? column["default"].get<std::string>() : "";
        json parent_table = section_item(parent_, "tables", key);
        long long rows = parent_table.is_object() ? parent_table.value("rows", 0LL) : 0;
        if (column.value("not_null", false) && default_expression.empty() && column["generated"].is_null() &&
            column.value("identity", "").empty())
            finding("not_null_without_default", rows > 0 ? "error" : "warning", object,
                    "the new column is NOT NULL without a default",
                    "the rows already in " + key + " would have no value: the ALTER fails on a table with rows",
                    "give the column a default, or add it nullable, backfill it, then set NOT NULL");
        for (const char *volatile_call : {"random()", "gen_random_uuid()", "clock_timestamp()", "nextval(", "uuid_generate",
                                          "timeofday()"})
            if (default_expression.find(volatile_call) != std::string::npos || !column["generated"].is_null()) {
                double seconds = static_cast<double>(table_bytes(key)) / kRewriteBytesPerSecond;
                finding("table_rewrite", "warning", object,
                        "adding a column with a volatile default or a generated column rewrites every shard of " + key,
                        "the rewrite holds an ACCESS EXCLUSIVE lock: reads and writes wait (" +
                            megabytes(table_bytes(key)) + ": " + seconds_text(seconds) + ")",
                        "add the column without a default (or with a constant one), backfill it in batches, then set "
                        "the default",
                        seconds);
                break;
            }
    }

    void plan_dropped_column(const std::string &key, const std::string &object, const json &column,
                             const std::vector<json> &added)
    {
        std::string name = column["name"].get<std::string>();
        std::string hidden = derived_name(kHiddenPrefix, tag_, name);
        json statements = json::array();
        json revert = json::array();
        if (column.value("not_null", false)) {
            statements.push_back(statement("ALTER TABLE " + key + " ALTER COLUMN " + name + " DROP NOT NULL"));
        }
        statements.push_back(statement("ALTER TABLE " + key + " RENAME COLUMN " + name + " TO " + hidden));
        revert.push_back(statement("ALTER TABLE " + key + " RENAME COLUMN " + hidden + " TO " + name));
        if (column.value("not_null", false))
            revert.push_back(statement("ALTER TABLE " + key + " ALTER COLUMN " + name + " SET NOT NULL", false, true));
        step(80, object, "drop_column", statements, revert,
             {{"kind", "column"}, {"table", key}, {"hidden", hidden}, {"original", name}});
        bool renamed = false;
        for (const auto &candidate : added)
            if (candidate["type"] == column["type"]) {
                renamed = true;
                finding("rename_column", "warning", object,
                        "the branch looks like it renames " + name + " to " + candidate["name"].get<std::string>() +
                            ": the deploy drops " + name + " and adds " + candidate["name"].get<std::string>() +
                            " empty",
                        "a drop and an add do not carry the values over, and queries that use the old name fail "
                        "at once",
                        "add the new column, copy the values (UPDATE in batches), switch the application to it, "
                        "then drop the old column in a later deploy request");
                break;
            }
        if (!renamed)
            finding("drop_column", "warning", object, "the deploy drops column " + name + " of " + key,
                    "queries that still read or write " + name + " fail once it is gone",
                    "deploy the application change that stops using it first; the column is kept hidden (renamed to " +
                        hidden + ") until the revert window closes, so a revert brings it back with its values");
    }

    void plan_changed_column(const std::string &key, const std::string &object, const json &old, const json &now,
                             bool distribution)
    {
        std::string name = now["name"].get<std::string>();
        std::string alter = "ALTER TABLE " + key + " ALTER COLUMN " + name;
        if (old["type"] != now["type"]) {
            if (distribution) {
                finding("distribution_column_change", "error", object,
                        "the branch changes the type of " + name + ", the distribution column of " + key,
                        "the hash of every value would change, and so the shard of every row",
                        "create a new table with the new type, copy the rows, switch the application, drop the old "
                        "table");
            } else {
                std::string from = old["type"].get<std::string>(), to = now["type"].get<std::string>();
                step(45, object, "alter_column_type", {statement(alter + " TYPE " + to + " USING " + name + "::" + to)},
                     {statement(alter + " TYPE " + from + " USING " + name + "::" + from)});
                bool safe = (to == "text" && (from.rfind("character varying", 0) == 0 || from == "character varying")) ||
                            (from.rfind("character varying(", 0) == 0 && to == "character varying");
                if (!safe) {
                    double seconds = static_cast<double>(table_bytes(key)) / kRewriteBytesPerSecond;
                    finding("table_rewrite", "warning", object,
                            "changing " + name + " from " + from + " to " + to + " rewrites every shard of " + key,
                            "the rewrite holds an ACCESS EXCLUSIVE lock: reads and writes of " + key + " wait (" +
                                megabytes(table_bytes(key)) + ": " + seconds_text(seconds) + ")",
                            "add a new column of the new type, backfill it in batches, switch the application, then "
                            "drop the old column",
                            seconds);
                }
            }
        }
        if (old["default"] != now["default"]) {
            json forward = now["default"].is_string() ? statement(alter + " SET DEFAULT " + now["default"].get<std::string>())
                                                      : statement(alter + " DROP DEFAULT");
            json back = old["default"].is_string() ? statement(alter + " SET DEFAULT " + old["default"].get<std::string>())
                                                   : statement(alter + " DROP DEFAULT");
            step(45, object, "alter_column_default", {forward}, {back});
        }
        if (old.value("not_null", false) != now.value("not_null", false)) {
            if (now.value("not_null", false)) {
                std::string check = derived_name("_shale_nn_", tag_, name);
                step(45, object, "set_not_null",
                     {statement("ALTER TABLE " + key + " ADD CONSTRAINT " + check + " CHECK (" + name +
                                " IS NOT NULL) NOT VALID"),
                      statement("ALTER TABLE " + key + " VALIDATE CONSTRAINT " + check), statement(alter + " SET NOT NULL"),
                      statement("ALTER TABLE " + key + " DROP CONSTRAINT " + check)},
                     {statement("ALTER TABLE " + key + " DROP CONSTRAINT IF EXISTS " + check, false, true),
                      statement(alter + " DROP NOT NULL")});
                double seconds = static_cast<double>(table_bytes(key)) / kScanBytesPerSecond;
                finding("not_null_without_not_valid", "info", object, "SET NOT NULL on " + name + " scans " + key,
                        "a plain SET NOT NULL scans every row under an ACCESS EXCLUSIVE lock (" + seconds_text(seconds) +
                            " on " + megabytes(table_bytes(key)) + ")",
                        "nothing: the deploy adds CHECK (" + name + " IS NOT NULL) NOT VALID, validates it while "
                        "writes go on, and then SET NOT NULL uses it and skips the scan",
                        seconds);
            } else {
                step(45, object, "drop_not_null", {statement(alter + " DROP NOT NULL")},
                     {statement(alter + " SET NOT NULL", false, true)});
            }
        }
        if (old["generated"] != now["generated"] || old["identity"] != now["identity"] ||
            old["collation"] != now["collation"])
            finding("unsupported_change", "error", object,
                    "the branch changes the generation, identity or collation of " + name,
                    "deploy requests do not run these changes",
                    "add a new column the new way, backfill it, switch the application, drop the old one");
    }

    void plan_tables()
    {
        for (const auto &key : sorted_keys(branch_["tables"])) {
            const json &now = branch_["tables"][key];
            json then = section_item(base_, "tables", key);
            if (then.is_null()) {
                plan_new_table(key, now);
                continue;
            }
            plan_column_changes(key, then, now);
            if (then.value("kind", "") != now.value("kind", "") ||
                then["distribution_column"] != now["distribution_column"]) {
                json parent_then = section_item(base_parent_, "tables", key), parent_now = section_item(parent_, "tables", key);
                check_conflict("distribution of " + key,
                               parent_then.is_object() ? json({parent_then.value("kind", ""), parent_then["distribution_column"]}) : json(nullptr),
                               parent_now.is_object() ? json({parent_now.value("kind", ""), parent_now["distribution_column"]}) : json(nullptr));
                plan_distribution_change(key, then, now);
            }
        }
        for (const auto &item : base_["tables"].items())
            if (!branch_["tables"].contains(item.key()))
                plan_dropped_table(item.key(), item.value());
    }

    json add_constraint_online(const json &constraint, bool validate)
    {
        std::string definition = constraint["definition"].get<std::string>();
        bool was_not_valid = strip_suffix(definition, " NOT VALID");
        std::string table = constraint["table"].get<std::string>(), name = constraint["name"].get<std::string>();
        std::string type = constraint["type"].get<std::string>();
        if (type != "c" && type != "f")
            return json::array({statement("ALTER TABLE " + table + " ADD CONSTRAINT " + name + " " + definition)});
        json statements = json::array({statement("ALTER TABLE " + table + " ADD CONSTRAINT " + name + " " + definition +
                                                 " NOT VALID")});
        if (validate && !was_not_valid)
            statements.push_back(statement("ALTER TABLE " + table + " VALIDATE CONSTRAINT " + name));
        return statements;
    }

    void plan_added_constraint(const std::string &key, const json &constraint)
    {
        std::string table = constraint["table"].get<std::string>();
        std::string type = constraint["type"].get<std::string>();
        std::string object = "constraint " + key;
        if (is_new_table(table) && type != "f")
            return;  // made with its table
        check_conflict(object, section_item(base_parent_, "constraints", key), section_item(parent_, "constraints", key));
        step(type == "f" ? 70 : 60, object, "add_constraint", add_constraint_online(constraint, true),
             {statement("ALTER TABLE " + table + " DROP CONSTRAINT IF EXISTS " + constraint["name"].get<std::string>(),
                        false, true)});
        if (is_new_table(table))
            return;
        double bytes = static_cast<double>(table_bytes(table));
        if (type == "c" || type == "f") {
            finding(type == "f" ? "foreign_key_without_not_valid" : "check_without_not_valid", "info", object,
                    std::string(type == "f" ? "the foreign key " : "the CHECK constraint ") +
                        constraint["name"].get<std::string>() + " checks every row of " + table,
                    "added in one step it scans " + table + " while writes wait (" + seconds_text(bytes / kScanBytesPerSecond) +
                        " on " + megabytes(static_cast<long long>(bytes)) + ")",
                    "nothing: the deploy adds it NOT VALID (a short lock, new rows checked at once) and then runs "
                    "VALIDATE CONSTRAINT, which lets writes go on",
                    bytes / kScanBytesPerSecond);
        } else {
            check_unique_columns(table, constraint["columns"], object);
            finding("non_concurrent_index", "warning", object,
                    "the constraint " + constraint["name"].get<std::string>() + " builds its index with writes blocked",
                    "ADD CONSTRAINT " + std::string(type == "p" ? "PRIMARY KEY" : "UNIQUE") +
                        " builds the index under a lock that blocks writes to " + table + " (" +
                        seconds_text(bytes / kIndexBytesPerSecond) + " on " + megabytes(static_cast<long long>(bytes)) + ")",
                    "deploy it when " + table + " is small or quiet, or use a unique index (built concurrently) instead",
                    bytes / kIndexBytesPerSecond);
        }
    }

    void plan_dropped_constraint(const std::string &key, const json &constraint)
    {
        std::string table = constraint["table"].get<std::string>();
        if (is_dropped_table(table))
            return;
        check_conflict("constraint " + key, section_item(base_parent_, "constraints", key),
                       section_item(parent_, "constraints", key));
        step(50, "constraint " + key, "drop_constraint",
             {statement("ALTER TABLE " + table + " DROP CONSTRAINT " + constraint["name"].get<std::string>())},
             add_constraint_online(constraint, true));
    }

    void plan_constraints()
    {
        for (const auto &item : branch_["constraints"].items()) {
            json then = section_item(base_, "constraints", item.key());
            if (then.is_null()) {
                plan_added_constraint(item.key(), item.value());
            } else if (comparable(then) != comparable(item.value())) {
                plan_dropped_constraint(item.key(), then);
                plan_added_constraint(item.key(), item.value());
            }
        }
        for (const auto &item : base_["constraints"].items())
            if (!branch_["constraints"].contains(item.key()))
                plan_dropped_constraint(item.key(), item.value());
    }

    static std::string concurrent_index(std::string definition)
    {
        for (const char *start : {"CREATE UNIQUE INDEX ", "CREATE INDEX "}) {
            std::string prefix = start;
            if (definition.rfind(prefix, 0) == 0)
                return prefix + "CONCURRENTLY " + definition.substr(prefix.size());
        }
        return definition;
    }

    void plan_added_index(const std::string &key, const json &index)
    {
        std::string table = index["table"].get<std::string>();
        if (is_new_table(table))
            return;  // made with its table
        check_conflict("index " + key, section_item(base_parent_, "indexes", key), section_item(parent_, "indexes", key));
        step(65, "index " + key, "create_index",
             {statement(concurrent_index(index["definition"].get<std::string>()), true)},
             {statement("DROP INDEX IF EXISTS " + key, false, true)});
        if (index.value("unique", false))
            check_unique_columns(table, index["columns"], "index " + key);
        double bytes = static_cast<double>(table_bytes(table));
        finding("non_concurrent_index", "info", "index " + key,
                "building index " + index["name"].get<std::string>() + " on " + table,
                "a plain CREATE INDEX blocks writes to " + table + " while it builds (" +
                    seconds_text(bytes / kIndexBytesPerSecond) + " on " + megabytes(static_cast<long long>(bytes)) + ")",
                "nothing: the deploy builds it with CREATE INDEX CONCURRENTLY on every shard, writes go on",
                bytes / kIndexBytesPerSecond);
    }

    void plan_dropped_index(const std::string &key, const json &index)
    {
        if (is_dropped_table(index["table"].get<std::string>()))
            return;
        check_conflict("index " + key, section_item(base_parent_, "indexes", key), section_item(parent_, "indexes", key));
        step(55, "index " + key, "drop_index", {statement("DROP INDEX " + key)},
             {statement(concurrent_index(index["definition"].get<std::string>()), true)});
    }

    void plan_indexes()
    {
        for (const auto &item : branch_["indexes"].items()) {
            json then = section_item(base_, "indexes", item.key());
            if (then.is_null()) {
                plan_added_index(item.key(), item.value());
            } else if (then["definition"] != item.value()["definition"]) {
                plan_dropped_index(item.key(), then);
                plan_added_index(item.key(), item.value());
            }
        }
        for (const auto &item : base_["indexes"].items())
            if (!branch_["indexes"].contains(item.key()))
                plan_dropped_index(item.key(), item.value());
    }

    void plan_views()
    {
        for (const auto &key : sorted_keys(branch_["views"])) {
            const json &now = branch_["views"][key];
            json then = section_item(base_, "views", key);
            if (comparable(then) == comparable(now))
                continue;
            check_conflict("view " + key, section_item(base_parent_, "views", key), section_item(parent_, "views", key));
            std::string drop = std::string("DROP ") + (now.value("materialized", false) ? "MATERIALIZED " : "") +
                               "VIEW IF EXISTS " + key;
            if (then.is_null())
                step(90, "view " + key, "create_view", {statement(create_view_statement(key, now))},
                     {statement(drop, false, true)});
            else
                step(90, "view " + key, "replace_view", {statement(drop), statement(create_view_statement(key, now))},
                     {statement(drop), statement(create_view_statement(key, then))});
        }
        for (const auto &item : base_["views"].items()) {
            if (branch_["views"].contains(item.key()))
                continue;
            check_conflict("view " + item.key(), section_item(base_parent_, "views", item.key()),
                           section_item(parent_, "views", item.key()));
            step(10, "view " + item.key(), "drop_view",
                 {statement(std::string("DROP ") + (item.value().value("materialized", false) ? "MATERIALIZED " : "") +
                            "VIEW " + item.key())},
                 {statement(create_view_statement(item.key(), item.value()))});
        }
    }

    const json &base_, &branch_, &base_parent_, &parent_;
    std::string tag_;
    std::vector<std::pair<int, json>> steps_;
    json lint_ = json::array();
    json conflicts_ = json::array();
    std::set<std::string> planned_new_tables_;
};

}  // namespace

json plan_deploy(const json &base_branch, const json &branch, const json &base_parent, const json &parent,
                 const std::string &request_tag)
{
    return Planner(base_branch, branch, base_parent, parent, request_tag).run();
}

bool has_blocking_findings(const json &plan)
{
    if (!plan["conflicts"].empty())
        return true;
    for (const auto &finding : plan["lint"])
        if (finding["severity"] == "error")
            return true;
    return false;
}

}  // namespace shale
