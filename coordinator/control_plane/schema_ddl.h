// schema_ddl.h — SQL that builds the objects of a schema snapshot
// (schema_snapshot.h) on a cluster: tables with their columns and
// constraints, indexes, distribution through the extension's SQL functions
// (shale.make_reference_table, shale.distribute_table with the same shard
// count and co-location), foreign keys, sequences, views and functions.
// Schema branches and their reset use the whole list; deploy requests use the
// pieces for one object.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shale {

// column_definition is one column of CREATE TABLE / ADD COLUMN.
std::string column_definition(const nlohmann::json &column);

// create_table_statement is CREATE TABLE for a table of a snapshot, with its
// columns only.
std::string create_table_statement(const std::string &key, const nlohmann::json &table);

// add_constraint_statement is ALTER TABLE … ADD CONSTRAINT for a constraint of a snapshot.
std::string add_constraint_statement(const nlohmann::json &constraint);

// create_sequence_statement is CREATE SEQUENCE with the snapshot's options.
std::string create_sequence_statement(const std::string &key, const nlohmann::json &sequence);

// create_view_statement creates a view or materialized view (WITH NO DATA).
std::string create_view_statement(const std::string &key, const nlohmann::json &view);

// distribute_statement makes a table distributed or reference as the
// snapshot says, co-located with colocate_with when it is not empty; empty
// for a local table.
std::string distribute_statement(const std::string &key, const nlohmann::json &table,
                                 const std::string &colocate_with);

// build_schema_statements lists, in order, the statements that make every
// object of the snapshot on an empty database.
std::vector<std::string> build_schema_statements(const nlohmann::json &snapshot);

// drop_schema_statements lists statements that remove every object of the
// snapshot (used by reset before building again).
std::vector<std::string> drop_schema_statements(const nlohmann::json &snapshot);

// sorted_keys returns the keys of a snapshot section ordered by their
// "order" (creation order), then by name.
std::vector<std::string> sorted_keys(const nlohmann::json &section);

}  // namespace shale
