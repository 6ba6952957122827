// schema_copy.h — creates the source's schema on Shale in two halves around the
// data copy: before it the schemas, types, sequences and tables (distributed,
// reference or local as planned); after it the primary keys, unique and check
// constraints, indexes, foreign keys, views and sequence ownership. Every
// object created is recorded in the import state so that an abort removes it.
#pragma once

#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "import/distribution_plan.h"
#include "import/import_state.h"
#include "import/source_catalog.h"

namespace shale::import {

// check_target throws CliError unless the target is a Shale router the import
// can write to (extension present, superuser, worker groups, no table of the
// same name yet).
void check_target(const PgConnection &target, const SourceCatalog &catalog, const ImportPlan &plan);

// create_tables_on_shale runs the first half (through distribute_table / make_reference_table).
void create_tables_on_shale(const PgConnection &target, const SourceCatalog &catalog, const ImportPlan &plan,
                            ImportState &state);

// create_keys_and_views_on_shale runs the second half; skipped constraints are printed as warnings.
void create_keys_and_views_on_shale(const PgConnection &target, const SourceCatalog &catalog,
                                    const ImportPlan &plan, ImportState &state);

// copied_columns lists the columns that travel in COPY and in changes (not generated ones).
std::vector<std::string> copied_columns(const SourceTable &table);

// Progress of applied changes lives on Shale, in the transaction that applies them.
inline constexpr const char *kProgressTable = "shale_import.progress";

}  // namespace shale::import
