// table_verification.h — the cutover's check that Shale holds the same rows as
// the source: per table, the row count and an order-independent checksum (the
// sum of the first 60 bits of the md5 of each row's text form) on both sides.
#pragma once

#include <string>
#include <vector>

#include "import/distribution_plan.h"
#include "import/source_catalog.h"

namespace shale::import {

struct TableCheck {
    std::string table;
    std::string source_rows, target_rows, source_checksum, target_checksum, error;
    bool matches() const
    {
        return error.empty() && source_rows == target_rows && source_checksum == target_checksum;
    }
};

// verify_tables compares every imported table, each side in its own thread.
std::vector<TableCheck> verify_tables(const std::string &source_uri, const std::string &target_uri,
                                      const SourceCatalog &catalog, const ImportPlan &plan);

}  // namespace shale::import
