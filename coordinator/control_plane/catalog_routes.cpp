// catalog_routes.cpp — read-only resources: plans, templates, operations and
// the OpenAPI document (docs/control-plane-openapi.json, built into the binary).
#include "common/tls_authority.h"
#include "control_plane/api_handlers.h"
#include "control_plane/plans.h"
#include "control_plane/serve_config.h"
#include "control_plane/templates.h"

namespace shale {

extern const char *const kControlPlaneOpenApi;  // generated from docs/control-plane-openapi.json

const char *const kOperationJson =
    "jsonb_build_object('id', o.id, 'database_id', o.database_id, 'kind', o.kind, 'state', o.state, "
    "'steps', o.steps, 'progress', o.progress, 'attempt', o.attempt, 'error', o.error, 'args', o.args, "
    "'created_at', control.iso(o.created_at), 'started_at', control.iso(o.started_at), "
    "'finished_at', control.iso(o.finished_at))";

HttpResponse list_plans(ApiCall &)
{
    nlohmann::json plans = nlohmann::json::array();
    for (const auto &plan : all_plans())
        plans.push_back(plan_json(plan));
    return json_response(200, {{"plans", plans}});
}

HttpResponse list_templates_route(ApiCall &call)
{
    nlohmann::json templates = nlohmann::json::array();
    for (const auto &found : list_templates(call.config.templates_dir))
        templates.push_back(template_json(found, false));
    return json_response(200, {{"templates", templates}});
}

HttpResponse get_ca_certificate(ApiCall &call)
{
    std::string certificate = read_ca_certificate(call.config.tls_dir());
    if (certificate.empty())
        throw ApiError(404, "not_found", "this installation has no certificate authority yet");
    return json_response(200, {{"ca_certificate", certificate},
                               {"sslmode", "verify-full"},
                               {"hint", "save it as a file and add sslmode=verify-full&sslrootcert=FILE to the URI"}});
}

HttpResponse get_template(ApiCall &call)
{
    auto found = load_template(call.config.templates_dir, call.params["name"]);
    if (!found)
        throw ApiError(404, "not_found", "no template " + call.params["name"]);
    return json_response(200, {{"template", template_json(*found, true)}});
}

HttpResponse list_operations(ApiCall &call)
{
    int limit = call.integer_query("limit", 100, 1, 1000);
    std::string database_id = call.query.count("database_id") ? call.query["database_id"] : "";
    auto operations = call.store.json_rows(
        std::string("SELECT ") + kOperationJson +
            " FROM control.operations o WHERE o.organization_id = $1 AND ($2 = '' OR o.database_id = $2) "
            "ORDER BY o.created_at DESC LIMIT $3::int",
        {call.caller.organization_id, database_id, std::to_string(limit)});
    return json_response(200, {{"operations", operations}});
}

HttpResponse get_operation(ApiCall &call)
{
    auto operation = call.store.json_row(std::string("SELECT ") + kOperationJson +
                                             " FROM control.operations o WHERE o.id = $1 AND o.organization_id = $2",
                                         {call.params["id"], call.caller.organization_id});
    if (!operation)
        throw ApiError(404, "not_found", "no operation " + call.params["id"] + " in this organization");
    return json_response(200, {{"operation", *operation}});
}

HttpResponse get_openapi(ApiCall &)
{
    HttpResponse response;
    response.body = kControlPlaneOpenApi;
    return response;
}

}  // namespace shale
