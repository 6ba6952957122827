// source_inspection.cpp — reads a source database's catalog for `shale import`
// and checks it against what logical replication and Shale need.
#include "import/source_inspection.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "cli/cli_error.h"
#include "import/source_connection.h"

namespace shale::import {

namespace {

// The relations an import looks at: user tables and views, not partitions
// (their parent is imported), not objects of extensions or system schemas.
const char *kUserRelationFilter =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
    "AND d.deptype = 'e')";

// qualified_sql is the SQL expression of a relation's quoted qualified name.
const char *kQualifiedName = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)";

std::int64_t to_int64(const std::string &text) { return text.empty() ? 0 : std::stoll(text); }

// load_server reads version, settings and the current user's attributes.
void load_server(const PgConnection &source, SourceCatalog &catalog)
{
    PgResult server = exec_checked(
        source,
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int, "
        "current_database(), current_user, r.rolsuper, r.rolreplication, "
        "has_database_privilege(current_database(), 'CREATE'), current_setting('wal_level'), "
        "current_setting('max_replication_slots')::int, (SELECT count(*) FROM pg_replication_slots), "
        "current_setting('max_wal_senders')::int "
        "FROM pg_roles r WHERE r.rolname = current_user",
        "reading the source's settings");
    catalog.server_version = server.value(0, 0);
    catalog.server_version_num = std::stoi(server.value(0, 1));
    catalog.database = server.value(0, 2);
    catalog.user = server.value(0, 3);
    catalog.superuser = server.value(0, 4) == "t";
    catalog.replication = server.value(0, 5) == "t";
    catalog.can_create_in_database = server.value(0, 6) == "t";
    catalog.wal_level = server.value(0, 7);
    catalog.max_replication_slots = std::stoi(server.value(0, 8));
    catalog.replication_slots_used = std::stoi(server.value(0, 9));
    catalog.max_wal_senders = std::stoi(server.value(0, 10));
}

// load_tables reads the tables with sizes, row estimates, owners and privileges.
void load_tables(const PgConnection &source, SourceCatalog &catalog, std::map<unsigned, SourceTable *> &by_oid)
{
    PgResult tables = exec_checked(
        source,
        std::string("SELECT c.oid, n.nspname, c.relname, ") + kQualifiedName +
            ", c.relkind = 'p', c.relreplident, pg_has_role(c.relowner, 'USAGE'), "
            "has_table_privilege(c.oid, 'SELECT'), "
            "CASE WHEN c.relkind = 'p' THEN (SELECT count(*) - 1 FROM pg_partition_tree(c.oid)) ELSE 0 END, "
            "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(p.reltuples, 0)), 0) FROM "
            "pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf) "
            "ELSE greatest(c.reltuples, 0) END, "
            "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0) FROM "
            "pg_partition_tree(c.oid) t) ELSE pg_total_relation_size(c.oid) END "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p' AND " +
            kUserRelationFilter + " ORDER BY n.nspname, c.relname",
        "reading the source's tables");
    catalog.tables.resize(tables.rows());
    std::set<std::string> schemas;
    for (int row = 0; row < tables.rows(); ++row) {
        SourceTable &table = catalog.tables[row];
        table.oid = static_cast<unsigned>(std::stoul(tables.value(row, 0)));
        table.schema = tables.value(row, 1);
        table.name = tables.value(row, 2);
        table.qualified = tables.value(row, 3);
        table.partitioned = tables.value(row, 4) == "t";
        table.replica_identity = tables.value(row, 5)[0];
        table.owned_by_current_user = tables.value(row, 6) == "t";
        table.selectable = tables.value(row, 7) == "t";
        table.partitions = std::stoi(tables.value(row, 8));
        table.row_estimate = std::stod(tables.value(row, 9));
        table.bytes = to_int64(tables.value(row, 10));
        schemas.insert(table.schema);
        by_oid[table.oid] = &table;
    }
    catalog.schemas.assign(schemas.begin(), schemas.end());
}

// load_columns reads every table's columns in attribute order.
void load_columns(const PgConnection &source, std::map<unsigned, SourceTable *> &by_oid)
{
    PgResult columns = exec_checked(
        source,
        "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attgenerated "
        "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        "reading the source's columns");
    for (int row = 0; row < columns.rows(); ++row) {
        auto found = by_oid.find(static_cast<unsigned>(std::stoul(columns.value(row, 0))));
        if (found == by_oid.end())
            continue;
        SourceColumn column;
        column.name = columns.value(row, 1);
        column.type = columns.value(row, 2);
        column.not_null = columns.value(row, 3) == "t";
        std::string identity = columns.value(row, 5), generated = columns.value(row, 6);
        column.identity = identity.empty() ? 0 : identity[0];
        column.generated = !generated.empty();
        (column.generated ? column.generation_expr : column.default_expr) = columns.value(row, 4);
        found->second->columns.push_back(column);
    }
}

// parse_text_array reads a text[] as PostgreSQL prints it ({a,"b c",""}).
std::vector<std::string> parse_text_array(const std::string &array)
{
    std::vector<std::string> names;
    std::string current;
    bool quoted = false;
    for (size_t i = 1; i + 1 < array.size(); ++i) {
        char c = array[i];
        if (quoted && c == '\\') {
            current += array[++i];
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            names.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (array.size() > 2)
        names.push_back(current);
    return names;
}

// load_constraints reads primary keys, unique, check and exclusion constraints, and foreign keys.
void load_constraints(const PgConnection &source, SourceCatalog &catalog,
                      std::map<unsigned, SourceTable *> &by_oid)
{
    PgResult constraints = exec_checked(
        source,
        "SELECT co.conrelid, co.conname, co.contype, pg_get_constraintdef(co.oid), "
        "ARRAY(SELECT a.attname FROM unnest(co.conkey) WITH ORDINALITY k(num, ord) JOIN pg_attribute a "
        "ON a.attrelid = co.conrelid AND a.attnum = k.num ORDER BY k.ord)::text[], "
        "co.confrelid, ARRAY(SELECT a.attname FROM unnest(co.confkey) WITH ORDINALITY k(num, ord) "
        "JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.num ORDER BY k.ord)::text[], "
        "co.confupdtype, co.confdeltype, co.condeferrable, co.condeferred "
        "FROM pg_constraint co WHERE co.conrelid <> 0 AND co.contype IN ('p', 'u', 'c', 'x', 'f') "
        "AND co.conparentid = 0 ORDER BY co.conrelid, co.contype, co.conname",
        "reading the source's constraints");
    // action_sql spells a foreign key action letter.
    auto action_sql = [](char action) -> std::string {
        switch (action) {
        case 'r': return "RESTRICT";
        case 'c': return "CASCADE";
        case 'n': return "SET NULL";
        case 'd': return "SET DEFAULT";
        default: return "";
        }
    };
    for (int row = 0; row < constraints.rows(); ++row) {
        auto found = by_oid.find(static_cast<unsigned>(std::stoul(constraints.value(row, 0))));
        if (found == by_oid.end())
            continue;
        SourceTable &table = *found->second;
        char kind = constraints.value(row, 2)[0];
        std::vector<std::string> columns = parse_text_array(constraints.value(row, 4));
        if (kind == 'f') {
            auto referenced = by_oid.find(static_cast<unsigned>(std::stoul(constraints.value(row, 5))));
            if (referenced == by_oid.end())
                continue;
            SourceForeignKey key{constraints.value(row, 1), table.qualified, columns,
                                 referenced->second->qualified, parse_text_array(constraints.value(row, 6)), ""};
            std::string on_update = action_sql(constraints.value(row, 7)[0]);
            std::string on_delete = action_sql(constraints.value(row, 8)[0]);
            if (!on_update.empty())
                key.actions += " ON UPDATE " + on_update;
            if (!on_delete.empty())
                key.actions += " ON DELETE " + on_delete;
            if (constraints.value(row, 9) == "t")
                key.actions += constraints.value(row, 10) == "t" ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
            catalog.foreign_keys.push_back(key);
            continue;
        }
        if (kind == 'p')
            table.primary_key = columns;
        table.constraints.push_back({constraints.value(row, 1), kind, columns, constraints.value(row, 3)});
    }
}

// load_indexes_and_triggers reads the indexes that no constraint owns, and triggers.
void load_indexes_and_triggers(const PgConnection &source, std::map<unsigned, SourceTable *> &by_oid)
{
    PgResult indexes = exec_checked(
        source,
        "SELECT i.indrelid, c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, "
        "ARRAY(SELECT coalesce(a.attname, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord) "
        "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num "
        "WHERE k.ord <= i.indnkeyatts ORDER BY k.ord)::text[] "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid) "
        "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) "
        "ORDER BY i.indrelid, c.relname",
        "reading the source's indexes");
    for (int row = 0; row < indexes.rows(); ++row) {
        auto found = by_oid.find(static_cast<unsigned>(std::stoul(indexes.value(row, 0))));
        if (found == by_oid.end())
            continue;
        SourceIndex index{indexes.value(row, 1), indexes.value(row, 2), indexes.value(row, 3) == "t", {}};
        index.columns = parse_text_array(indexes.value(row, 4));
        found->second->indexes.push_back(index);
    }
    PgResult triggers = exec_checked(
        source, "SELECT tgrelid, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgrelid, tgname",
        "reading the source's triggers");
    for (int row = 0; row < triggers.rows(); ++row) {
        auto found = by_oid.find(static_cast<unsigned>(std::stoul(triggers.value(row, 0))));
        if (found != by_oid.end())
            found->second->triggers.push_back(triggers.value(row, 1));
    }
}

// load_sequences reads sequences with their options and owning column.
void load_sequences(const PgConnection &source, SourceCatalog &catalog)
{
    PgResult sequences = exec_checked(
        source,
        std::string("SELECT ") + kQualifiedName +
            ", format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, "
            "s.seqcycle, coalesce((SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) FROM pg_depend d "
            "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
            "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass "
            "AND d.deptype IN ('a', 'i') LIMIT 1), ''), "
            "coalesce((SELECT a.attname FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND "
            "a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND "
            "d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), ''), "
            "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
            "AND d.deptype = 'i') "
            "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE " +
            kUserRelationFilter + " ORDER BY 1",
        "reading the source's sequences");
    for (int row = 0; row < sequences.rows(); ++row) {
        SourceSequence sequence;
        sequence.qualified = sequences.value(row, 0);
        sequence.type = sequences.value(row, 1);
        sequence.start = to_int64(sequences.value(row, 2));
        sequence.increment = to_int64(sequences.value(row, 3));
        sequence.min = to_int64(sequences.value(row, 4));
        sequence.max = to_int64(sequences.value(row, 5));
        sequence.cache = to_int64(sequences.value(row, 6));
        sequence.cycle = sequences.value(row, 7) == "t";
        sequence.owned_by_table = sequences.value(row, 8);
        sequence.owned_by_column = sequences.value(row, 9);
        sequence.identity = sequences.value(row, 10) == "t";
        catalog.sequences.push_back(sequence);
    }
}

// load_views_types_extensions reads views, user-defined types and extensions.
void load_views_types_extensions(const PgConnection &source, SourceCatalog &catalog)
{
    PgResult views = exec_checked(
        source,
        std::string("SELECT ") + kQualifiedName + ", pg_get_viewdef(c.oid), c.relkind = 'm' "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND " +
            kUserRelationFilter + " ORDER BY c.oid",
        "reading the source's views");
    for (int row = 0; row < views.rows(); ++row)
        catalog.views.push_back({views.value(row, 0), views.value(row, 1), views.value(row, 2) == "t"});
    PgResult types = exec_checked(
        source,
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname), t.typtype, "
        "CASE t.typtype WHEN 'e' THEN 'AS ENUM (' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' "
        "ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) || ')' "
        "WHEN 'd' THEN 'AS ' || format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' NOT NULL' "
        "ELSE '' END || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(co.oid), ' ') FROM pg_constraint co "
        "WHERE co.contypid = t.oid), '') "
        "ELSE 'AS (' || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), "
        "', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT "
        "a.attisdropped) || ')' END "
        "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) "
        "= 'c')) AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND "
        "d.deptype = 'e') ORDER BY t.oid",
        "reading the source's types");
    for (int row = 0; row < types.rows(); ++row)
        catalog.types.push_back({types.value(row, 0), types.value(row, 1)[0], types.value(row, 2)});
    PgResult extensions = exec_checked(
        source, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
        "reading the source's extensions");
    for (int row = 0; row < extensions.rows(); ++row)
        catalog.extensions.push_back(extensions.value(row, 0));
}

// human_bytes prints a size as "12.3 MB".
std::string human_bytes(double bytes)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

std::string join(const std::vector<std::string> &items, const std::string &separator = ", ")
{
    std::string joined;
    for (const auto &item : items)
        joined += (joined.empty() ? "" : separator) + item;
    return joined;
}

}  // namespace

const SourceColumn *SourceTable::column(const std::string &column_name) const
{
    for (const auto &candidate : columns)
        if (candidate.name == column_name)
            return &candidate;
    return nullptr;
}

const SourceTable *SourceCatalog::table(const std::string &qualified) const
{
    for (const auto &candidate : tables)
        if (candidate.qualified == qualified)
            return &candidate;
    return nullptr;
}

std::int64_t SourceCatalog::total_bytes() const
{
    std::int64_t total = 0;
    for (const auto &table : tables)
        total += table.bytes;
    return total;
}

SourceCatalog load_source_catalog(const PgConnection &source)
{
    SourceCatalog catalog;
    load_server(source, catalog);
    if (catalog.server_version_num < 130000)
        throw CliError("the source runs PostgreSQL " + catalog.server_version +
                       ": shale import needs PostgreSQL 13 or newer (pgoutput with publish_via_partition_root)\n"
                       "hint: upgrade the source first, or dump and restore it (pg_dump | psql) during a downtime");
    std::map<unsigned, SourceTable *> by_oid;
    load_tables(source, catalog, by_oid);
    load_columns(source, by_oid);
    load_constraints(source, catalog, by_oid);
    load_indexes_and_triggers(source, by_oid);
    load_sequences(source, catalog);
    load_views_types_extensions(source, catalog);
    return catalog;
}

std::vector<Problem> find_problems(const SourceCatalog &catalog, const std::vector<std::string> &tables_handled)
{
    std::vector<Problem> problems;
    if (catalog.wal_level != "logical")
        problems.push_back({true, "wal_level is \"" + catalog.wal_level + "\" on the source: logical decoding needs "
                                  "wal_level = logical",
                            "ALTER SYSTEM SET wal_level = logical; then restart the source server (this setting "
                            "only changes at a restart)"});
    if (catalog.max_replication_slots <= catalog.replication_slots_used)
        problems.push_back({true, "no free replication slot on the source (max_replication_slots = " +
                                      std::to_string(catalog.max_replication_slots) + ", " +
                                      std::to_string(catalog.replication_slots_used) + " in use)",
                            "ALTER SYSTEM SET max_replication_slots = " +
                                std::to_string(catalog.replication_slots_used + 4) + "; then restart the source"});
    if (catalog.max_wal_senders < 1)
        problems.push_back({true, "max_wal_senders is 0 on the source",
                            "ALTER SYSTEM SET max_wal_senders = 10; then restart the source"});
    if (!catalog.superuser && !catalog.replication)
        problems.push_back({true, "role \"" + catalog.user + "\" may not start replication (it has no REPLICATION "
                                  "attribute)",
                            "as a superuser on the source: ALTER ROLE " + quote_identifier(catalog.user) +
                                " REPLICATION;"});
    if (!catalog.superuser && !catalog.can_create_in_database)
        problems.push_back({true, "role \"" + catalog.user + "\" may not create a publication in database \"" +
                                      catalog.database + "\"",
                            "GRANT CREATE ON DATABASE " + quote_identifier(catalog.database) + " TO " +
                                quote_identifier(catalog.user) + ";"});
    std::vector<std::string> unreadable, not_owned, without_identity;
    for (const auto &table : catalog.tables) {
        if (!catalog.superuser && !table.selectable)
            unreadable.push_back(table.qualified);
        if (!catalog.superuser && !table.owned_by_current_user)
            not_owned.push_back(table.qualified);
        bool handled = std::find(tables_handled.begin(), tables_handled.end(), table.qualified) != tables_handled.end();
        if (!table.has_replica_identity() && !handled)
            without_identity.push_back(table.qualified);
        if (!table.triggers.empty())
            problems.push_back({false, "table " + table.qualified + " has triggers (" + join(table.triggers) +
                                           "): they are not created on Shale",
                                "recreate their logic in the application, or keep that table local"});
    }
    if (!unreadable.empty())
        problems.push_back({true, "role \"" + catalog.user + "\" may not read " + join(unreadable),
                            "GRANT SELECT ON " + join(unreadable) + " TO " + quote_identifier(catalog.user) + ";"});
    if (!not_owned.empty())
        problems.push_back({true, "role \"" + catalog.user + "\" does not own " + join(not_owned) +
                                      " (a publication, and the write block at the cutover, need the owner)",
                            "connect as the tables' owner or a superuser, or: GRANT <owner role> TO " +
                                quote_identifier(catalog.user) + ";"});
    if (!without_identity.empty())
        problems.push_back(
            {true, "tables without a primary key or replica identity: " + join(without_identity) +
                       " (their updates and deletes cannot be replicated)",
             "add a primary key, or let the import set REPLICA IDENTITY FULL on the source (\"without_key\": "
             "\"replica_identity_full\" in the plan, the default of `shale import plan`), or leave them out "
             "(\"kind\": \"skip\")"});
    for (const auto &view : catalog.views)
        if (view.materialized)
            problems.push_back({false, "materialized view " + view.qualified + " is not imported",
                                "create it on Shale after the cutover"});
    for (const auto &extension : catalog.extensions)
        problems.push_back({false, "extension " + extension + " is created on the Shale router and every worker "
                                   "node at the start",
                            "it must be installed on the machines of the Shale cluster (its package), or the "
                            "start stops and removes what it made"});
    return problems;
}

bool has_fatal(const std::vector<Problem> &problems)
{
    return std::any_of(problems.begin(), problems.end(), [](const Problem &problem) { return problem.fatal; });
}

void print_problems(const std::vector<Problem> &problems)
{
    for (bool fatal : {true, false})
        for (const auto &problem : problems)
            if (problem.fatal == fatal)
                std::cout << (fatal ? "ERROR:   " : "WARNING: ") << problem.message << "\n         fix: "
                          << problem.fix << "\n";
}

void print_inspection(const SourceCatalog &catalog, const std::vector<Problem> &problems)
{
    std::cout << "source:      PostgreSQL " << catalog.server_version << ", database " << catalog.database
              << ", user " << catalog.user << (catalog.superuser ? " (superuser)" : "")
              << (catalog.replication ? " (replication)" : "") << "\n";
    std::cout << "wal_level:   " << catalog.wal_level << "; replication slots " << catalog.replication_slots_used
              << " of " << catalog.max_replication_slots << " used; max_wal_senders " << catalog.max_wal_senders
              << "\n";
    std::cout << "tables:      " << catalog.tables.size() << ", " << human_bytes(static_cast<double>(catalog.total_bytes()))
              << "\n";
    std::printf("  %-32s %12s %10s  %s\n", "table", "rows (est.)", "size", "primary key / notes");
    for (const auto &table : catalog.tables) {
        std::string notes = table.primary_key.empty() ? "(none)" : "(" + join(table.primary_key) + ")";
        if (table.replica_identity == 'f')
            notes += ", replica identity full";
        if (table.partitioned)
            notes += ", partitioned (" + std::to_string(table.partitions) + " partitions)";
        for (const auto &column : table.columns)
            if (column.identity)
                notes += ", identity " + column.name;
        std::printf("  %-32s %12.0f %10s  %s\n", table.qualified.c_str(), table.row_estimate,
                    human_bytes(static_cast<double>(table.bytes)).c_str(), notes.c_str());
    }
    std::cout << "foreign keys: " << catalog.foreign_keys.size() << "\n";
    for (const auto &key : catalog.foreign_keys)
        std::cout << "  " << key.table << " (" << join(key.columns) << ") -> " << key.referenced_table << " ("
                  << join(key.referenced_columns) << ")\n";
    std::vector<std::string> sequences;
    for (const auto &sequence : catalog.sequences)
        sequences.push_back(sequence.qualified + (sequence.identity ? " (identity)" : ""));
    std::cout << "sequences:   " << (sequences.empty() ? "none" : join(sequences)) << "\n";
    std::vector<std::string> views, types;
    for (const auto &view : catalog.views)
        views.push_back(view.qualified + (view.materialized ? " (materialized)" : ""));
    for (const auto &type : catalog.types)
        types.push_back(type.qualified + (type.kind == 'e' ? " (enum)" : type.kind == 'd' ? " (domain)" : " (composite)"));
    std::cout << "views:       " << (views.empty() ? "none" : join(views)) << "\n";
    std::cout << "types:       " << (types.empty() ? "none" : join(types)) << "\n";
    std::cout << "extensions:  " << (catalog.extensions.empty() ? "none" : join(catalog.extensions)) << "\n";
    if (problems.empty()) {
        std::cout << "ready: nothing stops an import\n";
        return;
    }
    print_problems(problems);
    std::cout << (has_fatal(problems) ? "not ready: fix the errors above, then run shale import inspect again\n"
                                      : "ready, with the warnings above\n");
}

int inspect_command(const std::string &source_uri)
{
    PgConnection source = connect_checked(source_uri, "source");
    SourceCatalog catalog = load_source_catalog(source);
    std::vector<Problem> problems = find_problems(catalog);
    print_inspection(catalog, problems);
    return has_fatal(problems) ? 1 : 0;
}

}  // namespace shale::import
