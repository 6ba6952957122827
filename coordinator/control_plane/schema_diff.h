// schema_diff.h — a deploy request's plan: the schema changes a branch made
// since it was created (its snapshot now against its snapshot then), as the
// online DDL that brings the parent there, each step with the statements that
// undo it; the lint findings (why, what to do, how long writes would wait on
// this data size) and the conflicts (the parent changed the same objects since
// the branch was made).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shale {

// plan_deploy returns {"steps": [...], "lint": [...], "conflicts": [...], "ddl": "..."}.
//   base_branch   the branch's snapshot when it was made
//   branch        the branch's snapshot now
//   base_parent   the parent's snapshot when the branch was made
//   parent        the parent's snapshot now
//   request_tag   a short tag naming what a deploy hides (dropped columns and tables are renamed
//                 _shale_dropped_<tag>_<name> until the revert window closes)
// A step is {"number", "object", "action", "statements": [{"sql", "concurrently"}],
// "revert": [{"sql", "concurrently", "optional"}], "kept": null | {...}}.
nlohmann::json plan_deploy(const nlohmann::json &base_branch, const nlohmann::json &branch,
                           const nlohmann::json &base_parent, const nlohmann::json &parent,
                           const std::string &request_tag);

// has_blocking_findings is true when the lint found an error or a conflict.
bool has_blocking_findings(const nlohmann::json &plan);

}  // namespace shale
