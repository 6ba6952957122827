// plans.h — the plans a database lives under (free, starter, growth,
// enterprise) and the limit checks done when a database is created or changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shale {

struct Plan {
    std::string name;
    std::optional<int> max_databases;  // per organization, on this plan; nullopt: unlimited
    int max_worker_groups = 0;         // per database
    std::optional<int> storage_gb;     // per database; nullopt: unlimited
    std::string description;
};

// all_plans lists the standard plans, enterprise with its default limits.
const std::vector<Plan> &all_plans();

// find_plan returns the named plan; for "enterprise", the organization's
// custom limits (keys databases, worker_groups, storage_gb) replace the defaults.
std::optional<Plan> find_plan(const std::string &name, const nlohmann::json &organization_limits = {});

nlohmann::json plan_json(const Plan &plan);

}  // namespace shale
