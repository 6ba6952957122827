// operation_runner.cpp — the dispatcher (claims pending operations, schedules
// purges of deleted databases past their grace period) and the steps of each
// operation kind. A failed creation removes every server and file it made.
#include "control_plane/operation_runner.h"

#include <signal.h>

#include <chrono>
#include <filesystem>

#include "common/process.h"
#include "control_plane/branch_operations.h"
#include "control_plane/cluster_provisioner.h"
#include "control_plane/operation_steps.h"
#include "control_plane/state_store.h"
#include "control_plane/templates.h"
#include "cli/node_control.h"
#include "cli/port_allocator.h"
#include "common/secrets.h"

namespace shale {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr int kMaxAttempts = 2;
constexpr int kConnectTimeoutS = 60;

// UpProgress maps the start of a progress line of `shale up` to what the
// step's detail says (no server paths) and how far into the step it is (0..1).
struct UpProgress {
    const char *line_start;
    const char *detail;
    double fraction;
};
const UpProgress kUpProgress[] = {
    {"creating a cluster", "planning the nodes", 0.05},
    {"initdb", "initdb of the primaries", 0.1},
    {"starting primar", "starting the primaries", 0.3},
    {"cloning", "cloning the replicas", 0.45},
    {"starting replicas", "starting the replicas", 0.6},
    {"creating the shale extension", "creating the shale extension", 0.7},
    {"registering nodes", "registering the nodes", 0.8},
    {"started shaled", "shaled started", 0.95},
    {"starting ", "starting the stopped nodes", 0.5}};

// fresh_steps is the step list of a kind, every step pending.
nlohmann::json fresh_steps(const std::string &kind)
{
    nlohmann::json steps = nlohmann::json::array();
    for (const auto &name : operation_step_names(kind))
        steps.push_back({{"name", name}, {"state", "pending"}});
    return steps;
}

// allocate_ports picks the lowest block of free ports that no other database
// holds and records it on the database.
int allocate_ports(StateStore &store, const ServeConfig &config, const std::string &database_id, int count)
{
    for (int base = config.database_port_first; base + count <= config.database_port_last; base += 10) {
        auto overlapping = store.value(
            "SELECT 1 FROM control.databases WHERE id <> $1 AND state <> 'purged' AND port_base IS NOT NULL AND "
            "port_base < $2::int + $3::int AND $2::int < port_base + port_count",
            {database_id, std::to_string(base), std::to_string(count)});
        if (overlapping)
            continue;
        bool all_free = true;
        for (int port = base; port < base + count && all_free; port++)
            all_free = port_is_free(port);
        if (!all_free)
            continue;
        store.exec("UPDATE control.databases SET port_base = $2::int, port_count = $3::int WHERE id = $1",
                   {database_id, std::to_string(base), std::to_string(count)});
        return base;
    }
    throw std::runtime_error("no free block of " + std::to_string(count) + " ports between " +
                             std::to_string(config.database_port_first) + " and " +
                             std::to_string(config.database_port_last));
}

}  // namespace

std::vector<std::string> operation_step_names(const std::string &kind)
{
    if (kind == "create")
        return {"allocate_ports", "create_cluster", "apply_template", "check_connection"};
    if (kind == "delete")
        return {"stop_cluster"};
    if (kind == "undelete")
        return {"start_cluster", "check_connection"};
    if (kind == "purge")
        return {"remove_files"};
    if (kind == "start")
        return {"start_cluster", "check_connection"};
    if (kind == "backup")
        return {"run_backup"};
    if (kind == "restore_point")
        return {"make_restore_point"};
    if (kind == "restore")
        return {"allocate_ports", "restore_cluster", "check_connection"};
    return branching_step_names(kind);
}

OperationRunner::OperationRunner(const ServeConfig &config, std::string state_conninfo, Logger &logger)
    : config_(config), conninfo_(std::move(state_conninfo)), logger_(logger)
{
}

OperationRunner::~OperationRunner()
{
    stop();
}

void OperationRunner::recover()
{
    StateStore store(conninfo_);
    PgResult interrupted = store.exec(
        "SELECT o.id, o.kind, o.attempt, coalesce(o.runner_pid, 0), d.id, d.dir FROM control.operations o "
        "JOIN control.databases d ON d.id = o.database_id WHERE o.state = 'running' ORDER BY o.created_at");
    for (int row = 0; row < interrupted.rows(); row++) {
        const std::string id = interrupted.value(row, 0), kind = interrupted.value(row, 1);
        const int attempt = std::stoi(interrupted.value(row, 2));
        const pid_t runner_pid = std::stoi(interrupted.value(row, 3));
        const std::string database_id = interrupted.value(row, 4), dir = interrupted.value(row, 5);
        // the `shale up` an earlier process started may still run: stop it first
        if (runner_pid > 0 && process_is_alive(runner_pid) &&
            process_command_line(runner_pid).find(dir) != std::string::npos) {
            kill(runner_pid, SIGKILL);
            for (int wait = 0; wait < 50 && process_is_alive(runner_pid); wait++)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (kind == "create" || kind == "restore" || kind == "branch") {
            remove_cluster(config_.shale_binary, dir);
            store.exec("UPDATE control.databases SET port_base = NULL, port_count = NULL WHERE id = $1", {database_id});
        }
        if (attempt < kMaxAttempts) {
            logger_.warn("operation " + id + " (" + kind + ") was interrupted by a restart; running it again");
            store.exec("UPDATE control.operations SET state = 'pending', runner_pid = NULL, steps = $2::jsonb, "
                       "progress = 0, error = 'interrupted by a restart of shale serve; running it again' "
                       "WHERE id = $1",
                       {id, fresh_steps(kind).dump()});
        } else {
            logger_.warn("operation " + id + " (" + kind + ") was interrupted twice; it fails");
            store.exec("UPDATE control.operations SET state = 'failed', finished_at = now(), runner_pid = NULL, "
                       "error = 'interrupted by restarts of shale serve " + std::to_string(attempt) +
                           " times; its servers were removed' WHERE id = $1",
                       {id});
            store.exec("UPDATE control.databases SET state = CASE WHEN $2 IN ('create', 'restore', 'branch') THEN 'failed' WHEN $2 = "
                       "'undelete' THEN 'deleted' ELSE state END, error = 'the operation was interrupted', "
                       "updated_at = now() WHERE id = $1",
                       {database_id, kind});
        }
    }
}

void OperationRunner::restart_stopped_databases()
{
    StateStore store(conninfo_);
    PgResult ready = store.exec("SELECT d.id, d.dir, d.organization_id FROM control.databases d WHERE d.state = 'ready' "
                                "AND NOT EXISTS (SELECT FROM control.operations o WHERE o.database_id = d.id AND "
                                "o.state IN ('pending', 'running'))");
    for (int row = 0; row < ready.rows(); row++) {
        auto layout = ClusterLayout::load(ready.value(row, 1));
        if (!layout)
            continue;
        bool all_running = read_pid_file(layout->daemon_pid_file()).has_value();
        for (const auto &node : layout->nodes)
            all_running = all_running && NodeControl::postmaster_pid(node).has_value();
        if (all_running)
            continue;
        logger_.info("database " + ready.value(row, 0) + " is ready but parts of its cluster are stopped; starting them");
        store.exec("INSERT INTO control.operations (id, organization_id, database_id, kind, state, steps) VALUES "
                   "($1, $2, $3, 'start', 'pending', $4::jsonb)",
                   {new_id("op"), ready.value(row, 2), ready.value(row, 0), fresh_steps("start").dump()});
    }
}

void OperationRunner::start()
{
    dispatcher_ = std::thread([this]() { dispatch_loop(); });
}

void OperationRunner::stop()
{
    stopping_ = true;
    wake();
    if (dispatcher_.joinable())
        dispatcher_.join();
    // operation threads wait for child processes; they are detached so that a
    // stop is quick, and the next start recovers what they leave running
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &worker : workers_)
        if (worker.second.joinable())
            worker.second.detach();
    workers_.clear();
}

void OperationRunner::wake()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_ = true;
    }
    wake_condition_.notify_all();
}

void OperationRunner::dispatch_loop()
{
    while (!stopping_) {
        try {
            dispatch_once();
        } catch (const std::exception &error) {
            logger_.error(std::string("operation dispatcher: ") + error.what());
        }
        std::unique_lock<std::mutex> lock(mutex_);
        wake_condition_.wait_for(lock, kPollInterval, [this]() { return woken_ || stopping_.load(); });
        woken_ = false;
    }
}

void OperationRunner::dispatch_once()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto &id : finished_) {
            auto found = workers_.find(id);
            if (found != workers_.end()) {
                found->second.join();
                workers_.erase(found);
            }
        }
        finished_.clear();
    }
    StateStore store(conninfo_);
    // deleted databases past their grace period get a purge operation
    store.exec("INSERT INTO control.operations (id, organization_id, database_id, kind, state, steps) "
               "SELECT 'op_' || substr(md5(random()::text || d.id), 1, 16), d.organization_id, d.id, 'purge', "
               "'pending', $1::jsonb FROM control.databases d WHERE d.state = 'deleted' AND d.purge_after <= now() "
               "AND NOT EXISTS (SELECT FROM control.operations o WHERE o.database_id = d.id AND o.kind = 'purge' "
               "AND o.state IN ('pending', 'running'))",
               {fresh_steps("purge").dump()});
    queue_branch_housekeeping(store);
    PgResult pending =
        store.exec("SELECT id FROM control.operations WHERE state = 'pending' ORDER BY created_at LIMIT 100");
    for (int row = 0; row < pending.rows() && !stopping_; row++) {
        std::string id = pending.value(row, 0);
        std::lock_guard<std::mutex> lock(mutex_);
        if (workers_.count(id) || static_cast<int>(workers_.size()) >= config_.max_parallel_operations)
            continue;
        auto claimed = store.value("UPDATE control.operations SET state = 'running', attempt = attempt + 1, "
                                   "started_at = coalesce(started_at, now()) WHERE id = $1 AND state = 'pending' "
                                   "RETURNING id",
                                   {id});
        if (!claimed)
            continue;
        workers_[id] = std::thread([this, id]() {
            run_operation(id);
            std::lock_guard<std::mutex> done_lock(mutex_);
            finished_.push_back(id);
        });
    }
}

void OperationRunner::run_operation(const std::string &operation_id)
{
    std::unique_ptr<StateStore> store;
    nlohmann::json database;
    nlohmann::json args;
    std::string kind;
    try {
        store = std::make_unique<StateStore>(conninfo_);
        auto row = store->json_row(
            "SELECT jsonb_build_object('kind', o.kind, 'steps', o.steps, 'args', o.args, 'database', to_jsonb(d), "
            "'source_dir', (SELECT s.dir FROM control.databases s WHERE s.id = o.args->>'source_id')) FROM "
            "control.operations o JOIN control.databases d ON d.id = o.database_id WHERE o.id = $1",
            {operation_id});
        kind = (*row)["kind"].get<std::string>();
        database = (*row)["database"];
        args = (*row)["args"];
        if ((*row)["source_dir"].is_string())
            args["source_dir"] = (*row)["source_dir"];
        logger_.info("operation " + operation_id + ": " + kind + " of database " + database["id"].get<std::string>());
    } catch (const std::exception &error) {
        logger_.error("operation " + operation_id + ": cannot start: " + error.what());
        return;
    }
    const std::string database_id = database["id"].get<std::string>();
    const std::string dir = database["dir"].get<std::string>();
    OperationSteps steps(*store, operation_id, fresh_steps(kind));
    auto record_pid = [&](pid_t pid) {
        store->exec("UPDATE control.operations SET runner_pid = $2::int WHERE id = $1",
                    {operation_id, std::to_string(pid)});
    };
    auto follow_up = [&](const std::string &line) {
        for (const auto &known : kUpProgress)
            if (line.rfind(known.line_start, 0) == 0) {
                steps.detail(steps.current(), known.detail, known.fraction);
                break;
            }
    };
    // the ports of a new cluster, chosen one creation at a time
    auto allocate_ports_step = [&]() {
        steps.begin("allocate_ports");
        int first_port;
        {
            std::lock_guard<std::mutex> lock(port_mutex_);
            first_port = allocate_ports(*store, config_, database_id,
                                        ports_needed(database["worker_groups"], database["replicas"]));
        }
        steps.done("allocate_ports");
        return first_port;
    };
    // the layout a new cluster left in dir; its URI and shaled address go to the database row
    auto record_new_cluster = [&](const std::string &tool) {
        auto layout = ClusterLayout::load(dir);
        if (!layout)
            throw std::runtime_error(tool + " ended without a cluster.json in " + dir);
        store->exec("UPDATE control.databases SET uri = $2, shaled_url = $3 WHERE id = $1",
                    {database_id, layout->uri(), layout->http_address()});
        return layout;
    };
    try {
        if (kind == "create") {
            int first_port = allocate_ports_step();
            steps.begin("create_cluster");
            remove_cluster(config_.shale_binary, dir);  // what an earlier attempt may have left
            run_shale_up(config_.shale_binary,
                         {dir, first_port, database["worker_groups"].get<int>(), database["replicas"].get<int>(),
                          config_.tls_dir()},
                         record_pid, follow_up);
            auto layout = record_new_cluster("shale up");
            steps.done("create_cluster");
            steps.begin("apply_template");
            auto found = load_template(config_.templates_dir, database["template"].get<std::string>());
            if (!found)
                throw std::runtime_error("the template " + database["template"].get<std::string>() + " is gone");
            apply_template(*layout, *found);
            steps.done("apply_template");
            steps.begin("check_connection");
            wait_until_connectable(*layout, kConnectTimeoutS);
            steps.done("check_connection");
            store->exec("UPDATE control.databases SET state = 'ready', error = NULL, updated_at = now() WHERE id = $1",
                        {database_id});
        } else if (kind == "delete") {
            steps.begin("stop_cluster");
            stop_cluster(config_.shale_binary, dir);
            steps.done("stop_cluster");
            // a branch is not kept for a grace period: it is purged at once, servers and files
            store->exec("UPDATE control.databases SET state = 'deleted', deleted_at = now(), "
                        "purge_after = CASE WHEN branch_data IS NOT NULL THEN now() ELSE now() + ($2 || ' seconds')::interval "
                        "END, updated_at = now() WHERE id = $1",
                        {database_id, std::to_string(config_.grace_period_s)});
        } else if (kind == "undelete" || kind == "start") {
            steps.begin("start_cluster");
            run_shale_up(config_.shale_binary, {dir, 0, 0, 0, ""}, record_pid, follow_up);
            steps.done("start_cluster");
            steps.begin("check_connection");
            auto layout = ClusterLayout::load(dir);
            if (!layout)
                throw std::runtime_error("the cluster of the deleted database is gone");
            wait_until_connectable(*layout, kConnectTimeoutS);
            steps.done("check_connection");
            store->exec("UPDATE control.databases SET state = 'ready', deleted_at = NULL, purge_after = NULL, "
                        "updated_at = now() WHERE id = $1",
                        {database_id});
        } else if (kind == "backup") {
            steps.begin("run_backup");
            run_shale(config_.shale_binary, {"backup", "--dir", dir, "--kind", args.value("kind", "full")},
                      dir + ".setup.log", record_pid, follow_up);
            steps.done("run_backup");
        } else if (kind == "restore_point") {
            steps.begin("make_restore_point");
            run_shale(config_.shale_binary, {"restore-point", "--dir", dir, "--name", args.value("name", "")},
                      dir + ".setup.log", record_pid, follow_up);
            steps.done("make_restore_point");
        } else if (kind == "restore") {
            if (!args.contains("source_dir"))
                throw std::runtime_error("the source database is gone");
            int first_port = allocate_ports_step();
            steps.begin("restore_cluster");
            remove_cluster(config_.shale_binary, dir);  // what an earlier attempt may have left
            run_shale(config_.shale_binary,
                      {"restore", "--dir", args["source_dir"].get<std::string>(), "--to", args.value("to", ""),
                       "--target", dir, "--port", std::to_string(first_port), "--replicas",
                       std::to_string(database["replicas"].get<int>())},
                      dir + ".setup.log", record_pid, follow_up);
            auto layout = record_new_cluster("shale restore");
            steps.done("restore_cluster");
            steps.begin("check_connection");
            wait_until_connectable(*layout, kConnectTimeoutS);
            steps.done("check_connection");
            store->exec("UPDATE control.databases SET state = 'ready', error = NULL, updated_at = now() WHERE id = $1",
                        {database_id});
        } else if (is_branching_operation(kind)) {
            OperationContext context{*store, config_, logger_, operation_id, database, args, steps,
                                     allocate_ports_step, record_new_cluster, record_pid, follow_up};
            run_branching_operation(kind, context);
        } else if (kind == "purge") {
            steps.begin("remove_files");
            remove_cluster(config_.shale_binary, dir);
            steps.done("remove_files");
            store->exec("UPDATE control.databases SET state = 'purged', port_base = NULL, updated_at = now() "
                        "WHERE id = $1",
                        {database_id});
        }
        store->exec("UPDATE control.operations SET state = 'succeeded', progress = 100, error = NULL, "
                    "runner_pid = NULL, finished_at = now() WHERE id = $1",
                    {operation_id});
        logger_.info("operation " + operation_id + ": " + kind + " succeeded");
    } catch (const std::exception &error) {
        std::string message = error.what();
        logger_.error("operation " + operation_id + ": " + kind + " failed: " + message);
        try {
            if (!steps.current().empty())
                steps.failed(steps.current(), message);
            if (is_branching_operation(kind)) {
                OperationContext context{*store, config_, logger_, operation_id, database, args, steps,
                                         allocate_ports_step, record_new_cluster, record_pid, follow_up};
                fail_branching_operation(kind, context, message);
            } else if (kind == "create" || kind == "restore") {
                remove_cluster(config_.shale_binary, dir);
                store->exec("UPDATE control.databases SET state = 'failed', error = $2, port_base = NULL, "
                            "updated_at = now() WHERE id = $1",
                            {database_id, message});
            } else if (kind == "start" || kind == "backup" || kind == "restore_point") {
                // the database stays ready (its desired state); the error says what went wrong
                store->exec("UPDATE control.databases SET error = $2, updated_at = now() WHERE id = $1",
                            {database_id, message});
            } else {
                // a failed delete or undelete leaves the database stopped, restorable
                store->exec("UPDATE control.databases SET state = CASE WHEN $3 = 'purge' THEN state ELSE "
                            "'deleted' END, error = $2, deleted_at = coalesce(deleted_at, now()), purge_after = "
                            "coalesce(purge_after, now() + interval '1 day'), updated_at = now() WHERE id = $1",
                            {database_id, message, kind});
            }
            store->exec("UPDATE control.operations SET state = 'failed', error = $2, runner_pid = NULL, "
                        "finished_at = now() WHERE id = $1",
                        {operation_id, message});
        } catch (const std::exception &second) {
            logger_.error("operation " + operation_id + ": cannot record the failure: " + second.what());
        }
    }
}

}  // namespace shale
