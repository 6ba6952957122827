// insights_routes.cpp — query insights and advice of a database, from its
// router (common/insights_report.h, common/insights_advice.h):
// GET /v1/databases/{id}/insights?window=1h&limit=20 (patterns of the window,
// busiest tenants, advice), POST …/insights/apply and …/insights/dismiss with
// {"advice_id": "..."} (run an advice's statements, or hide it).
#include "control_plane/api_handlers.h"

#include "common/cluster_password.h"
#include "common/insights_advice.h"
#include "common/insights_report.h"

namespace shale {

namespace {

// advice_for reads the window's patterns and the advice for them; a router
// that fails mid-way is a 503, never a 500.
nlohmann::json advice_for(ApiCall &call, const PgConnection &router, const std::string &window, long long seconds,
                          int limit, nlohmann::json *insights)
{
    std::string dir = find_database(call)["dir"];
    try {
        nlohmann::json document = read_insights(router, window, seconds, limit);
        nlohmann::json advice = compute_advice(router, document, cluster_password_file(dir));
        if (insights != nullptr)
            *insights = document;
        return advice;
    } catch (const InsightsError &error) {
        throw ApiError(503, "database_unavailable", error.what());
    } catch (const nlohmann::json::exception &error) {
        throw ApiError(503, "database_unavailable", std::string("unexpected answer from the router: ") + error.what());
    }
}

// advice_id reads body.advice_id (1 to 300 characters).
std::string advice_id(ApiCall &call)
{
    call.reject_unknown_fields({"advice_id"});
    std::string id = call.string_field("advice_id", true).value();
    if (id.empty() || id.size() > 300)
        throw ApiError(422, "invalid_field", "advice_id must be 1 to 300 characters", "advice_id");
    return id;
}

}  // namespace

HttpResponse get_database_insights(ApiCall &call)
{
    for (const auto &[name, value] : call.query)
        if (name != "window" && name != "limit")
            throw ApiError(400, "invalid_parameter", "unknown query parameter \"" + name + "\" (use window and limit)",
                           name);
    std::string window = call.query.count("window") ? call.query["window"] : "1h";
    auto seconds = parse_insights_window(window);
    if (!seconds)
        throw ApiError(400, "invalid_parameter",
                       "window must be a number and m, h or d from 1m to 7d (15m, 1h, 24h, 7d)", "window");
    int limit = call.integer_query("limit", 20, 1, 1000);
    PgConnection router = router_connection(call);
    nlohmann::json insights;
    nlohmann::json advice = advice_for(call, router, window, *seconds, limit, &insights);
    insights["advice"] = advice["advice"];
    insights["dismissed_advice"] = advice["dismissed"];
    insights["workers_unreachable"] = advice["workers_unreachable"];
    return json_response(200, {{"insights", insights}});
}

HttpResponse apply_database_advice(ApiCall &call)
{
    std::string id = advice_id(call);
    PgConnection router = router_connection(call);
    nlohmann::json advice = advice_for(call, router, "7d", kMaxWindowSeconds, 1000, nullptr);
    nlohmann::json results;
    try {
        results = apply_advice(router, advice["advice"], id);
    } catch (const InsightsError &) {
        throw ApiError(404, "not_found", "no advice " + id + " (GET …/insights lists them)");
    }
    std::string failure;
    for (const auto &result : results)
        if (!result["ok"].get<bool>())
            failure = result["statement"].get<std::string>() + ": " + result["error"].get<std::string>();
    call.audit("insights.apply", "advice", id, {{"database_id", call.params["id"]}, {"ok", failure.empty()}});
    if (!failure.empty())  // the statements before it ran (each is its own transaction)
        throw ApiError(422, "refused_by_database", "the advice's statement failed: " + failure);
    return json_response(200, {{"advice_id", id}, {"results", results}});
}

HttpResponse dismiss_database_advice(ApiCall &call)
{
    std::string id = advice_id(call);
    PgConnection router = router_connection(call);
    std::string error;
    if (!dismiss_advice(router, id, &error))
        throw ApiError(503, "database_unavailable", "cannot record the dismissal: " + error);
    call.audit("insights.dismiss", "advice", id, {{"database_id", call.params["id"]}});
    return json_response(200, {{"advice_id", id}, {"dismissed", true}});
}

}  // namespace shale
