// snapshot_copy.h — copies every imported table from one exported snapshot of
// the source into the Shale router, several tables at once (COPY TO STDOUT on
// the source, COPY FROM STDIN on the router, rows streamed between them), and
// reports progress per table: rows, bytes/s, ETA. A big table may come as
// several jobs, each over a range of its blocks.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shale::import {

struct CopyJob {
    std::string table;                 // qualified name, the same on both sides
    std::vector<std::string> columns;  // copied columns
    bool partitioned = false;          // read through the parent (with its partitions)
    double row_estimate = 0;
    long long bytes_estimate = 0;
    std::string where;                 // "" or a range of the table's blocks (ctid >= ... AND ctid < ...)
    std::string part;                  // "" or "2/4": which range of the table this job copies

    // label names the job in progress lines: the table, and its part.
    std::string label() const { return part.empty() ? table : table + " [" + part + "]"; }
};

struct CopyResult {
    std::string table;
    long long rows = 0;
    long long bytes = 0;
    double seconds = 0;
};

// copy_snapshot copies the jobs with `jobs` connections in parallel, printing
// progress every 2 s and writing it to the status file through `report`;
// throws CliError with the first failure (the other copies are stopped).
std::vector<CopyResult> copy_snapshot(const std::string &source_uri, const std::string &target_uri,
                                      const std::string &snapshot, const std::vector<CopyJob> &jobs, int parallel,
                                      const std::function<void(const nlohmann::json &)> &report);

}  // namespace shale::import
