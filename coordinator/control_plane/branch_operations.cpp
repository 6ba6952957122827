// branch_operations.cpp — branch, reset, deploy, revert and deploy_cleanup.
// A schema branch is a new cluster (`shale up`, the parent's shape) on which
// the parent's snapshot is built through the extension's SQL functions; a
// branch with data is `shale restore` of the parent at a restore point or a
// time ("latest": a backup and a restore point made now). Every branch
// records its own snapshot and its parent's when it is made: deploy requests
// diff against them.
#include "control_plane/branch_operations.h"

#include <stdexcept>

#include "control_plane/cluster_provisioner.h"
#include "control_plane/deploy_executor.h"
#include "control_plane/schema_ddl.h"
#include "control_plane/schema_diff.h"
#include "control_plane/schema_protection.h"
#include "control_plane/schema_snapshot.h"

namespace shale {

namespace {

using nlohmann::json;

constexpr int kConnectTimeoutS = 60;

std::string text_arg(const json &object, const char *name)
{
    return object.contains(name) && object[name].is_string() ? object[name].get<std::string>() : "";
}

// parent_dir is the cluster directory of the database's parent.
std::string parent_dir(OperationContext &context)
{
    auto dir = context.store.value("SELECT p.dir FROM control.databases d JOIN control.databases p ON p.id = d.parent_id "
                                   "WHERE d.id = $1 AND p.state = 'ready'",
                                   {context.database["id"].get<std::string>()});
    if (!dir)
        throw std::runtime_error("the parent database is not ready");
    return *dir;
}

void run_sql_list(const PgConnection &router, const std::vector<std::string> &statements, const std::string &what)
{
    for (const auto &sql : statements) {
        PgResult result = router.exec(sql);
        if (!result.ok())
            throw std::runtime_error(what + ": " + sql.substr(0, 200) + ": " + result.error_message());
    }
}

// copy_schema builds the parent's schema on the branch; returns the parent's snapshot.
json copy_schema(const std::string &from_dir, const std::string &to_dir)
{
    PgConnection parent = open_router(from_dir, "shale_serve_branch");
    json snapshot = read_schema_snapshot(parent);
    PgConnection branch = open_router(to_dir, "shale_serve_branch");
    run_sql_list(branch, build_schema_statements(snapshot), "copying the schema");
    return snapshot;
}

// data_target is the restore point or time a branch with data restores to,
// making a backup and a restore point first for "latest".
std::string data_target(OperationContext &context, const std::string &source_dir, const std::string &data)
{
    const std::string log = context.database["dir"].get<std::string>() + ".setup.log";
    if (data != "latest") {
        context.steps.skip("make_backup");
        context.steps.skip("make_restore_point");
        return data;
    }
    context.steps.begin("make_backup");
    // incremental: pgBackRest makes a full one when there is none yet
    run_shale(context.config.shale_binary, {"backup", "--dir", source_dir, "--kind", "incr"}, log, context.record_pid,
              context.follow_up);
    context.steps.done("make_backup");
    context.steps.begin("make_restore_point");
    std::string point = "branch-" + context.operation_id.substr(3);
    run_shale(context.config.shale_binary, {"restore-point", "--dir", source_dir, "--name", point}, log,
              context.record_pid, context.follow_up);
    context.steps.done("make_restore_point");
    return point;
}

// record_base keeps the branch's and its parent's snapshots of now; a branch
// restored from a protected parent loses the protection.
void record_base(OperationContext &context, const std::string &source_dir, json parent_snapshot)
{
    const std::string dir = context.database["dir"].get<std::string>();
    context.steps.begin("record_base");
    {
        PgConnection branch = open_router(dir, "shale_serve_branch");
        set_schema_protection(branch, false);
    }
    if (parent_snapshot.is_null())
        parent_snapshot = snapshot_of(source_dir);
    json branch_snapshot = snapshot_of(dir);
    context.store.exec("UPDATE control.databases SET base_schema = $2::jsonb, parent_schema = $3::jsonb WHERE id = $1",
                       {context.database["id"].get<std::string>(), branch_snapshot.dump(), parent_snapshot.dump()});
    context.steps.done("record_base");
}

void check_connection(OperationContext &context)
{
    context.steps.begin("check_connection");
    auto layout = ClusterLayout::load(context.database["dir"].get<std::string>());
    if (!layout)
        throw std::runtime_error("the branch's cluster is gone");
    wait_until_connectable(*layout, kConnectTimeoutS);
    context.steps.done("check_connection");
}

void restore_into(OperationContext &context, const std::string &source_dir, const std::string &target, int first_port)
{
    const std::string dir = context.database["dir"].get<std::string>();
    remove_cluster(context.config.shale_binary, dir);
    run_shale(context.config.shale_binary,
              {"restore", "--dir", source_dir, "--to", target, "--target", dir, "--port", std::to_string(first_port),
               "--replicas", std::to_string(context.database["replicas"].get<int>())},
              dir + ".setup.log", context.record_pid, context.follow_up);
    context.record_new_cluster("shale restore");
}

// mark_branch_ready records what the branch was made from, checks that a client
// can connect, and marks the branch ready (the end of a branch and of a reset).
void mark_branch_ready(OperationContext &context, const std::string &source_dir, const json &parent_snapshot)
{
    record_base(context, source_dir, parent_snapshot);
    check_connection(context);
    context.store.exec("UPDATE control.databases SET state = 'ready', error = NULL, updated_at = now() WHERE id = $1",
                       {context.database["id"].get<std::string>()});
}

void run_branch(OperationContext &context)
{
    const std::string dir = context.database["dir"].get<std::string>();
    const std::string source_dir = parent_dir(context);
    const std::string data = text_arg(context.database, "branch_data");
    json parent_snapshot;
    if (data == "schema") {
        context.steps.skip("make_backup");
        context.steps.skip("make_restore_point");
        int first_port = context.allocate_ports();
        context.steps.begin("create_cluster");
        remove_cluster(context.config.shale_binary, dir);
        run_shale_up(context.config.shale_binary,
                     {dir, first_port, context.database["worker_groups"].get<int>(),
                      context.database["replicas"].get<int>(), context.config.tls_dir()},
                     context.record_pid, context.follow_up);
        context.record_new_cluster("shale up");
        context.steps.done("create_cluster");
        context.steps.begin("copy_schema");
        parent_snapshot = copy_schema(source_dir, dir);
        context.steps.done("copy_schema");
    } else {
        std::string target = data_target(context, source_dir, data);
        int first_port = context.allocate_ports();
        context.steps.begin("create_cluster");
        restore_into(context, source_dir, target, first_port);
        context.steps.done("create_cluster");
        context.steps.skip("copy_schema");
    }
    mark_branch_ready(context, source_dir, parent_snapshot);
}

void run_reset(OperationContext &context)
{
    const std::string dir = context.database["dir"].get<std::string>();
    const std::string source_dir = parent_dir(context);
    const std::string data = text_arg(context.database, "branch_data");
    json parent_snapshot;
    if (data == "schema") {
        context.steps.skip("make_backup");
        context.steps.skip("make_restore_point");
        context.steps.skip("restore_cluster");
        context.steps.begin("drop_objects");
        {
            PgConnection branch = open_router(dir, "shale_serve_reset");
            run_sql_list(branch, drop_schema_statements(read_schema_snapshot(branch)), "dropping the branch's objects");
        }
        context.steps.done("drop_objects");
        context.steps.begin("copy_schema");
        parent_snapshot = copy_schema(source_dir, dir);
        context.steps.done("copy_schema");
    } else {
        // the same ports, so the same URI: the cluster is restored again from the parent's latest state
        std::string target = data_target(context, source_dir, "latest");
        context.steps.begin("restore_cluster");
        int first_port = context.database["port_base"].get<int>();
        restore_into(context, source_dir, target, first_port);
        context.steps.done("restore_cluster");
        context.steps.skip("drop_objects");
        context.steps.skip("copy_schema");
    }
    mark_branch_ready(context, source_dir, parent_snapshot);
}

json deploy_request_row(OperationContext &context)
{
    auto row = context.store.json_row(
        "SELECT to_jsonb(r) || jsonb_build_object('branch_dir', b.dir, 'base_schema', b.base_schema, "
        "'parent_schema', b.parent_schema) FROM control.deploy_requests r JOIN control.databases b ON b.id = r.branch_id "
        "WHERE r.id = $1",
        {text_arg(context.args, "deploy_request_id")});
    if (!row)
        throw std::runtime_error("the deploy request is gone");
    return *row;
}

void save_steps(OperationContext &context, const std::string &request_id, const json &steps)
{
    context.store.exec("UPDATE control.deploy_requests SET plan = jsonb_set(plan, '{steps}', $2::jsonb), "
                       "updated_at = now() WHERE id = $1",
                       {request_id, steps.dump()});
    int done = 0;
    std::string current;
    for (const auto &step : steps) {
        std::string state = step.value("state", "pending");
        if (state != "pending" && state != "running")
            done++;
        if (state == "running")
            current = step["object"].get<std::string>();
    }
    if (!context.steps.current().empty())
        context.steps.detail(context.steps.current(),
                             std::to_string(done) + " of " + std::to_string(steps.size()) + " steps" +
                                 (current.empty() ? "" : ", now: " + current),
                             steps.empty() ? 1.0 : static_cast<double>(done) / static_cast<double>(steps.size()));
}

void run_deploy_operation(OperationContext &context)
{
    json request = deploy_request_row(context);
    const std::string id = request["id"].get<std::string>();
    const std::string parent_dir_path = context.database["dir"].get<std::string>();
    context.steps.begin("check_schema");
    json branch_now = snapshot_of(request["branch_dir"].get<std::string>());
    json parent_now = snapshot_of(parent_dir_path);
    json plan = plan_deploy(request["base_schema"], branch_now, request["parent_schema"], parent_now,
                            "dr" + std::to_string(request["number"].get<int>()));
    context.store.exec("UPDATE control.deploy_requests SET state = 'deploying', plan = $2::jsonb || "
                       "jsonb_build_object('previous_base', jsonb_build_object('base_schema', $3::jsonb, "
                       "'parent_schema', $4::jsonb)), updated_at = now() WHERE id = $1",
                       {id, plan.dump(), request["base_schema"].dump(), request["parent_schema"].dump()});
    if (has_blocking_findings(plan))
        throw std::runtime_error("the deploy request has conflicts or lint errors since it was opened; nothing ran");
    context.steps.done("check_schema");
    context.steps.begin("run_steps");
    PgConnection router = open_router(parent_dir_path, "shale_serve_deploy");
    DeployOutcome outcome =
        run_deploy(router, plan["steps"], id, [&](const json &steps) { save_steps(context, id, steps); });
    if (!outcome.succeeded) {
        context.store.exec("UPDATE control.deploy_requests SET state = 'failed', parent_state = $2, error = $3, "
                           "updated_at = now() WHERE id = $1",
                           {id, outcome.parent_state, outcome.error});
        throw std::runtime_error(outcome.error + "; the parent is " + outcome.parent_state);
    }
    context.steps.done("run_steps");
    context.steps.begin("record_result");
    json kept = json::array();
    for (const auto &step : outcome.steps)
        if (step["kept"].is_object())
            kept.push_back(step["kept"]);
    // the branch's changes are in the parent now: the next deploy request diffs from here
    json branch_after = snapshot_of(request["branch_dir"].get<std::string>());
    json parent_after = snapshot_of(parent_dir_path);
    context.store.exec("UPDATE control.databases SET base_schema = $2::jsonb, parent_schema = $3::jsonb WHERE id = $1",
                       {request["branch_id"].get<std::string>(), branch_after.dump(), parent_after.dump()});
    context.store.exec("UPDATE control.deploy_requests SET state = 'deployed', parent_state = 'changed', error = NULL, "
                       "kept = $2::jsonb, deployed_at = now(), revert_until = now() + ($3 || ' seconds')::interval, "
                       "updated_at = now() WHERE id = $1",
                       {id, kept.dump(), std::to_string(context.config.revert_window_s)});
    context.steps.done("record_result");
}

void run_revert_operation(OperationContext &context)
{
    json request = deploy_request_row(context);
    const std::string id = request["id"].get<std::string>();
    context.steps.begin("run_reverts");
    PgConnection router = open_router(context.database["dir"].get<std::string>(), "shale_serve_revert");
    DeployOutcome outcome =
        run_revert(router, request["plan"]["steps"], id, [&](const json &steps) { save_steps(context, id, steps); });
    if (!outcome.succeeded) {
        context.store.exec("UPDATE control.deploy_requests SET state = 'failed', parent_state = $2, error = $3, "
                           "updated_at = now() WHERE id = $1",
                           {id, outcome.parent_state, outcome.error});
        throw std::runtime_error(outcome.error);
    }
    context.steps.done("run_reverts");
    context.steps.begin("record_result");
    json previous = request["plan"].value("previous_base", json::object());
    if (previous.contains("base_schema"))
        context.store.exec("UPDATE control.databases SET base_schema = $2::jsonb, parent_schema = $3::jsonb WHERE id = $1",
                           {request["branch_id"].get<std::string>(), previous["base_schema"].dump(),
                            snapshot_of(context.database["dir"].get<std::string>()).dump()});
    context.store.exec("UPDATE control.deploy_requests SET state = 'reverted', parent_state = 'reverted', kept = '[]', "
                       "error = NULL, updated_at = now() WHERE id = $1",
                       {id});
    context.steps.done("record_result");
}

void run_cleanup_operation(OperationContext &context)
{
    json request = deploy_request_row(context);
    context.steps.begin("remove_kept_objects");
    PgConnection router = open_router(context.database["dir"].get<std::string>(), "shale_serve_cleanup");
    int removed = remove_kept_objects(router, request["kept"], request["id"].get<std::string>());
    context.steps.detail("remove_kept_objects", std::to_string(removed) + " hidden object(s) removed", 1.0);
    context.store.exec("UPDATE control.deploy_requests SET kept_removed_at = now(), updated_at = now() WHERE id = $1",
                       {request["id"].get<std::string>()});
    context.steps.done("remove_kept_objects");
}

}  // namespace

void queue_branch_housekeeping(StateStore &store)
{
    json delete_steps = json::array({{{"name", "stop_cluster"}, {"state", "pending"}}});
    json cleanup_steps = json::array({{{"name", "remove_kept_objects"}, {"state", "pending"}}});
    store.exec("WITH expired AS (UPDATE control.databases d SET state = 'deleting', updated_at = now() "
               "WHERE d.branch_data IS NOT NULL AND d.expires_at <= now() AND d.state IN ('ready', 'failed') "
               "AND NOT EXISTS (SELECT FROM control.operations o WHERE o.database_id = d.id AND "
               "o.state IN ('pending', 'running')) RETURNING d.id, d.organization_id) "
               "INSERT INTO control.operations (id, organization_id, database_id, kind, state, steps, args) "
               "SELECT 'op_' || substr(md5(random()::text || e.id), 1, 16), e.organization_id, e.id, 'delete', "
               "'pending', $1::jsonb, '{\"reason\": \"the branch expired (TTL)\"}' FROM expired e",
               {delete_steps.dump()});
    store.exec("INSERT INTO control.operations (id, organization_id, database_id, kind, state, steps, args) "
               "SELECT 'op_' || substr(md5(random()::text || r.id), 1, 16), r.organization_id, r.database_id, "
               "'deploy_cleanup', 'pending', $1::jsonb, jsonb_build_object('deploy_request_id', r.id) "
               "FROM control.deploy_requests r WHERE r.state IN ('deployed', 'closed') AND r.revert_until <= now() "
               "AND r.kept_removed_at IS NULL AND NOT EXISTS (SELECT FROM control.operations o WHERE "
               "o.kind = 'deploy_cleanup' AND o.args->>'deploy_request_id' = r.id AND o.state IN ('pending', 'running'))",
               {cleanup_steps.dump()});
}

json snapshot_of(const std::string &dir)
{
    PgConnection router = open_router(dir, "shale_serve_schema");
    return read_schema_snapshot(router);
}

bool is_branching_operation(const std::string &kind)
{
    return kind == "branch" || kind == "reset" || kind == "deploy" || kind == "revert" || kind == "deploy_cleanup";
}

std::vector<std::string> branching_step_names(const std::string &kind)
{
    if (kind == "branch")
        return {"make_backup", "make_restore_point", "allocate_ports", "create_cluster", "copy_schema", "record_base",
                "check_connection"};
    if (kind == "reset")
        return {"make_backup", "make_restore_point", "restore_cluster", "drop_objects", "copy_schema", "record_base",
                "check_connection"};
    if (kind == "deploy")
        return {"check_schema", "run_steps", "record_result"};
    if (kind == "revert")
        return {"run_reverts", "record_result"};
    if (kind == "deploy_cleanup")
        return {"remove_kept_objects"};
    return {};
}

void run_branching_operation(const std::string &kind, OperationContext &context)
{
    if (kind == "branch")
        run_branch(context);
    else if (kind == "reset")
        run_reset(context);
    else if (kind == "deploy")
        run_deploy_operation(context);
    else if (kind == "revert")
        run_revert_operation(context);
    else if (kind == "deploy_cleanup")
        run_cleanup_operation(context);
}

void fail_branching_operation(const std::string &kind, OperationContext &context, const std::string &message)
{
    const std::string database_id = context.database["id"].get<std::string>();
    if (kind == "branch") {
        remove_cluster(context.config.shale_binary, context.database["dir"].get<std::string>());
        context.store.exec("UPDATE control.databases SET state = 'failed', error = $2, port_base = NULL, "
                           "updated_at = now() WHERE id = $1",
                           {database_id, message});
    } else if (kind == "reset") {
        context.store.exec("UPDATE control.databases SET state = 'ready', error = $2, updated_at = now() WHERE id = $1",
                           {database_id, "reset failed: " + message});
    } else if (kind == "deploy") {
        // a failure before any step ran leaves the parent as it was
        context.store.exec("UPDATE control.deploy_requests SET state = 'failed', error = coalesce(error, $2), "
                           "parent_state = coalesce(parent_state, 'unchanged'), updated_at = now() WHERE id = $1",
                           {text_arg(context.args, "deploy_request_id"), message});
    } else if (kind == "revert") {
        context.store.exec("UPDATE control.deploy_requests SET state = CASE WHEN state = 'reverting' THEN 'deployed' "
                           "ELSE state END, error = $2, updated_at = now() WHERE id = $1",
                           {text_arg(context.args, "deploy_request_id"), "revert failed: " + message});
    }
}

}  // namespace shale
