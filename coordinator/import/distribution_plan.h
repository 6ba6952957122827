// distribution_plan.h — `shale import plan`: how each source table lands on
// Shale (distributed by a column and co-located, a reference table, a local
// table on the router, or skipped), with the reason for each choice; the plan
// file a user edits; and what follows from a plan for keys (primary keys
// widened to hold the distribution column, foreign keys kept or dropped).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "import/source_catalog.h"

namespace shale::import {

struct TablePlan {
    std::string table;          // qualified source name
    std::string kind;           // "distributed", "reference", "local" or "skip"
    std::string column;         // distribution column (distributed)
    std::string colocate_with;  // qualified name of a distributed table, or ""
    std::string without_key;    // "replica_identity_full" for a table without key, else ""
    std::string reason;
};

struct ImportPlan {
    std::string tenant_column;  // the shared tenant key, "" if none was found
    std::vector<TablePlan> tables;

    const TablePlan *find(const std::string &table) const;
    // imported lists the plans of the tables that are not skipped.
    std::vector<const TablePlan *> imported() const;
};

// What happens to one source foreign key on Shale.
struct ForeignKeyPlan {
    SourceForeignKey key;
    std::string action;  // "keep" or "drop"
    std::vector<std::string> columns, referenced_columns;  // as created on Shale
    std::string reason;
};

// propose_plan chooses a distribution for every table of the catalog.
ImportPlan propose_plan(const SourceCatalog &catalog);

// target_primary_key is the primary key on Shale: the source's, with the
// distribution column put first when it is not part of it (Shale enforces
// uniqueness within a shard, so a unique key must hold the distribution column).
std::vector<std::string> target_primary_key(const SourceTable &table, const TablePlan &plan);

// plan_foreign_keys decides, for every foreign key between imported tables, whether Shale can check it.
std::vector<ForeignKeyPlan> plan_foreign_keys(const SourceCatalog &catalog, const ImportPlan &plan);

// plan_to_json writes the editable plan file (tables, then the resulting keys for information).
nlohmann::ordered_json plan_to_json(const SourceCatalog &catalog, const ImportPlan &plan);

// plan_from_json reads an (edited) plan file and checks it against the catalog;
// throws CliError naming the table and field that is wrong.
ImportPlan plan_from_json(const nlohmann::json &document, const SourceCatalog &catalog);

// load_plan_file reads and checks a plan file.
ImportPlan load_plan_file(const std::string &path, const SourceCatalog &catalog);

// plan_command runs `shale import plan SOURCE_URI [--out FILE]`.
int plan_command(const std::string &source_uri, const std::string &out_file);

}  // namespace shale::import
