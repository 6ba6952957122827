// plans.cpp — the limits of each plan, from the pricing in issue 13.
#include "control_plane/plans.h"

namespace shale {

const std::vector<Plan> &all_plans()
{
    static const std::vector<Plan> plans = {
        {"free", 1, 2, 10, "1 database, 2 worker groups, 10 GB"},
        {"starter", 3, 10, 100, "3 databases, 10 worker groups, 100 GB"},
        {"growth", std::nullopt, 50, 500, "unlimited databases, 50 worker groups, 500 GB"},
        {"enterprise", std::nullopt, 64, std::nullopt, "custom limits, agreed per organization"},
    };
    return plans;
}

std::optional<Plan> find_plan(const std::string &name, const nlohmann::json &organization_limits)
{
    for (const auto &plan : all_plans()) {
        if (plan.name != name)
            continue;
        Plan found = plan;
        if (name == "enterprise" && organization_limits.is_object()) {
            if (organization_limits.contains("databases") && organization_limits["databases"].is_number_integer())
                found.max_databases = organization_limits["databases"].get<int>();
            if (organization_limits.contains("worker_groups") &&
                organization_limits["worker_groups"].is_number_integer())
                found.max_worker_groups = organization_limits["worker_groups"].get<int>();
            if (organization_limits.contains("storage_gb") && organization_limits["storage_gb"].is_number_integer())
                found.storage_gb = organization_limits["storage_gb"].get<int>();
        }
        return found;
    }
    return std::nullopt;
}

nlohmann::json plan_json(const Plan &plan)
{
    nlohmann::json limits{{"worker_groups", plan.max_worker_groups}};
    limits["databases"] = plan.max_databases ? nlohmann::json(*plan.max_databases) : nlohmann::json(nullptr);
    limits["storage_gb"] = plan.storage_gb ? nlohmann::json(*plan.storage_gb) : nlohmann::json(nullptr);
    return {{"name", plan.name}, {"description", plan.description}, {"limits", limits}};
}

}  // namespace shale
