// source_inspection.h — `shale import inspect`: read the source's catalog into a
// SourceCatalog, find what would make the import fail (each problem with its
// fix), and print both for a person.
#pragma once

#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "import/source_catalog.h"

namespace shale::import {

// load_source_catalog reads server settings, privileges, tables, keys, indexes,
// sequences, views, types and extensions of the connected database.
SourceCatalog load_source_catalog(const PgConnection &source);

// find_problems lists what stops (fatal) or weakens (warning) an import.
// Tables in `tables_handled` (skipped or given REPLICA IDENTITY FULL by a plan)
// do not count as missing a replica identity.
std::vector<Problem> find_problems(const SourceCatalog &catalog,
                                   const std::vector<std::string> &tables_handled = {});

// print_inspection writes the report of `shale import inspect`.
void print_inspection(const SourceCatalog &catalog, const std::vector<Problem> &problems);

// print_problems writes the problems, fatal ones first, each with its fix.
void print_problems(const std::vector<Problem> &problems);

// has_fatal says whether any problem stops the import.
bool has_fatal(const std::vector<Problem> &problems);

// inspect_command runs `shale import inspect SOURCE_URI`; exit code 1 when a fatal problem was found.
int inspect_command(const std::string &source_uri);

}  // namespace shale::import
