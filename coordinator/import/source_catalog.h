// source_catalog.h — what `shale import` knows about a source database: its
// server, its tables (columns, keys, sizes), foreign keys, indexes, sequences,
// views, types and extensions, and the problems that would make an import fail.
// Filled by source_inspection.cpp, read by the planner, the schema copy and the
// change apply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shale::import {

struct SourceColumn {
    std::string name;
    std::string type;            // format_type(), e.g. "character varying(20)"
    bool not_null = false;
    std::string default_expr;    // pg_get_expr() of the default, "" if none
    char identity = 0;           // 'a' ALWAYS, 'd' BY DEFAULT, 0 not an identity column
    bool generated = false;      // a stored generated column (not copied: recomputed)
    std::string generation_expr; // its expression
};

struct SourceConstraint {
    std::string name;
    char kind = 0;                       // 'p' primary key, 'u' unique, 'c' check, 'x' exclusion
    std::vector<std::string> columns;    // p, u
    std::string definition;              // pg_get_constraintdef()
};

struct SourceForeignKey {
    std::string name;
    std::string table;                   // qualified name of the referencing table
    std::vector<std::string> columns;
    std::string referenced_table;        // qualified
    std::vector<std::string> referenced_columns;
    std::string actions;                 // " ON DELETE CASCADE ..." (may be empty)
};

struct SourceIndex {
    std::string name;
    std::string definition;              // pg_get_indexdef()
    bool unique = false;
    std::vector<std::string> columns;    // key columns (expressions as "")
};

struct SourceTable {
    unsigned oid = 0;
    std::string schema;
    std::string name;
    std::string qualified;               // "schema"."name", quoted
    bool partitioned = false;
    int partitions = 0;
    double row_estimate = 0;
    std::int64_t bytes = 0;
    char replica_identity = 'd';         // d default, f full, i index, n nothing
    bool owned_by_current_user = false;
    bool selectable = false;
    std::vector<SourceColumn> columns;
    std::vector<std::string> primary_key;
    std::vector<SourceConstraint> constraints;
    std::vector<SourceIndex> indexes;    // indexes not behind a constraint
    std::vector<std::string> triggers;

    bool has_replica_identity() const
    {
        return replica_identity == 'f' || replica_identity == 'i' ||
               (replica_identity == 'd' && !primary_key.empty());
    }
    const SourceColumn *column(const std::string &column_name) const;
};

struct SourceSequence {
    std::string qualified;
    std::string type;                    // bigint, integer, smallint
    std::int64_t start = 1, increment = 1, min = 1, max = 0, cache = 1;
    bool cycle = false;
    std::string owned_by_table;          // qualified, "" if none
    std::string owned_by_column;
    bool identity = false;               // the sequence of an identity column (created with the table)
};

struct SourceView {
    std::string qualified;
    std::string definition;              // pg_get_viewdef()
    bool materialized = false;
};

struct SourceType {
    std::string qualified;
    char kind = 0;                       // 'e' enum, 'd' domain, 'c' composite
    std::string definition;              // the body of CREATE TYPE / CREATE DOMAIN
};

struct Problem {
    bool fatal = true;                   // false: a warning
    std::string message;
    std::string fix;
};

struct SourceCatalog {
    std::string server_version;          // "15.20"
    int server_version_num = 0;
    std::string database;
    std::string user;
    bool superuser = false;
    bool replication = false;
    bool can_create_in_database = false;
    std::string wal_level;
    int max_replication_slots = 0;
    int replication_slots_used = 0;
    int max_wal_senders = 0;
    std::vector<std::string> schemas;    // non-system schemas holding tables
    std::vector<SourceTable> tables;
    std::vector<SourceForeignKey> foreign_keys;
    std::vector<SourceSequence> sequences;
    std::vector<SourceView> views;
    std::vector<SourceType> types;
    std::vector<std::string> extensions;

    const SourceTable *table(const std::string &qualified) const;
    std::int64_t total_bytes() const;
};

}  // namespace shale::import
