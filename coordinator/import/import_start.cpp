// import_start.cpp — `shale import start`: checks both sides, then creates the
// publication and the slot (with its exported snapshot) on the source, the
// tables on Shale, copies every table from the snapshot, adds keys, indexes
// and views, and follows the slot until stopped. Run again on the same
// directory, it resumes following from the slot (or, when it was stopped
// during the copy, removes the half-done copy and starts over).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <random>

#include "cli/cli_error.h"
#include "import/change_stream.h"
#include "import/import_commands.h"
#include "import/import_context.h"
#include "import/import_state.h"
#include "import/pgoutput_decoder.h"
#include "import/schema_copy.h"
#include "import/snapshot_copy.h"
#include "import/source_connection.h"
#include "import/source_inspection.h"
#include "import/stop_signal.h"

namespace shale::import {

namespace {

// random_suffix names an import's slot and publication.
std::string random_suffix()
{
    std::random_device device;
    std::uniform_int_distribution<unsigned> digits(0, 15);
    std::string suffix;
    for (int i = 0; i < 8; ++i)
        suffix += "0123456789abcdef"[digits(device)];
    return suffix;
}

// tables_handled_by_plan lists tables the plan skips or gives REPLICA IDENTITY FULL.
std::vector<std::string> tables_handled_by_plan(const ImportPlan &plan)
{
    std::vector<std::string> handled;
    for (const auto &table_plan : plan.tables)
        if (table_plan.kind == "skip" || table_plan.without_key == "replica_identity_full")
            handled.push_back(table_plan.table);
    return handled;
}

// prepare_source sets REPLICA IDENTITY FULL where the plan says so and creates
// the publication, recording each change before it is made.
void prepare_source(const PgConnection &source, const ImportContext &context, ImportState &state)
{
    std::string tables;
    for (const TablePlan *table_plan : context.plan.imported()) {
        const SourceTable &table = *context.catalog.table(table_plan->table);
        if (table_plan->without_key == "replica_identity_full" && !table.has_replica_identity()) {
            state.record("replica_identity_changed", {{"table", table.qualified}, {"was", std::string(1, table.replica_identity)}});
            exec_checked(source, "ALTER TABLE " + table.qualified + " REPLICA IDENTITY FULL",
                         "setting REPLICA IDENTITY FULL on " + table.qualified);
            std::cout << "source: " << table.qualified << " set to REPLICA IDENTITY FULL (it has no primary key)\n";
        }
        tables += (tables.empty() ? "" : ", ") + table.qualified;
    }
    if (tables.empty())
        throw CliError("the plan imports no table\nhint: set \"kind\" to distributed, reference or local for some");
    exec_checked(source,
                 "CREATE PUBLICATION " + quote_identifier(state.publication()) + " FOR TABLE " + tables +
                     " WITH (publish_via_partition_root = true)",
                 "creating the publication on the source");
    std::cout << "source: publication " << state.publication() << " created\n";
}

// copy_jobs lists the tables to copy. A big plain table becomes up to
// `parallel` jobs over ranges of its blocks (TID range scans, PostgreSQL 14 and
// newer), so that several connections copy it at once from the same snapshot.
std::vector<CopyJob> copy_jobs(const PgConnection &source, const ImportContext &context, int parallel)
{
    constexpr long long kPartBytes = 64LL << 20;  // a range holds at least this much of the table
    std::vector<CopyJob> jobs;
    for (const TablePlan *table_plan : context.plan.imported()) {
        const SourceTable &table = *context.catalog.table(table_plan->table);
        CopyJob job{table.qualified, copied_columns(table), table.partitioned, table.row_estimate, table.bytes, "", ""};
        long long blocks = 0;
        if (!table.partitioned && parallel > 1 && context.catalog.server_version_num >= 140000 &&
            table.bytes >= 2 * kPartBytes) {
            PgResult pages = source.exec_params(
                "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint", {table.qualified});
            if (pages.ok())
                blocks = std::stoll(pages.value(0, 0));
        }
        long long parts = std::min<long long>(parallel, blocks * 8192 / kPartBytes);
        if (parts < 2) {
            jobs.push_back(job);
            continue;
        }
        long long step = (blocks + parts - 1) / parts;
        for (long long i = 0; i < parts; ++i) {
            CopyJob part = job;
            part.part = std::to_string(i + 1) + "/" + std::to_string(parts);
            // the last range is open: rows the table grew by since the size was read are in it
            part.where = "ctid >= '(" + std::to_string(i * step) + ",0)'" +
                         (i + 1 < parts ? " AND ctid < '(" + std::to_string((i + 1) * step) + ",0)'" : "");
            part.row_estimate = job.row_estimate / parts;
            part.bytes_estimate = job.bytes_estimate / parts;
            jobs.push_back(part);
        }
    }
    return jobs;
}

// create_and_copy runs everything from the slot to the last index.
void create_and_copy(const ImportContext &context, ImportState &state, int jobs)
{
    PgConnection source = connect_checked(state.source_uri(), "source");
    PgConnection target = connect_checked(state.target_uri(), "Shale");
    prepare_source(source, context, state);
    // The slot's snapshot stays valid while this connection runs no other command.
    PgConnection replication = connect_checked(with_replication(state.source_uri()), "source (replication)");
    PgResult slot = replication.exec("CREATE_REPLICATION_SLOT " + quote_identifier(state.slot()) +
                                     " LOGICAL pgoutput EXPORT_SNAPSHOT");
    if (!slot.ok())
        throw CliError("creating the replication slot on the source: " + slot.error_message());
    state.data["slot_created"] = true;
    state.data["snapshot_lsn"] = slot.value(0, 1);
    state.save();
    std::string snapshot = slot.value(0, 2);
    std::cout << "source: replication slot " << state.slot() << " created at " << slot.value(0, 1)
              << " (snapshot " << snapshot << ")\n";
    create_tables_on_shale(target, context.catalog, context.plan, state);
    std::cout << "shale: " << context.plan.imported().size() << " tables created and distributed as planned\n";
    state.set_phase("copying");
    auto started = std::chrono::steady_clock::now();
    std::string dir = state.dir;
    std::vector<CopyResult> results =
        copy_snapshot(state.source_uri(), state.target_uri(), snapshot, copy_jobs(source, context, jobs), jobs,
                      [dir](const nlohmann::json &progress) {
                          nlohmann::json status = progress;
                          status["pid"] = static_cast<long long>(::getpid());
                          write_status(dir, status);
                      });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    long long rows = 0, bytes = 0;
    for (const auto &result : results) {
        rows += result.rows;
        bytes += result.bytes;
    }
    state.data["copy"] = {{"rows", rows}, {"bytes", bytes}, {"seconds", seconds},
                          {"megabytes_per_second", seconds > 0 ? bytes / seconds / 1e6 : 0}};
    state.save();
    std::printf("copy: %lld rows, %.1f MB in %.1f s (%.1f MB/s)\n", rows, bytes / 1e6, seconds,
                seconds > 0 ? bytes / seconds / 1e6 : 0.0);
    replication = PgConnection();  // the snapshot is no longer needed
    auto keys_started = std::chrono::steady_clock::now();
    create_keys_and_views_on_shale(target, context.catalog, context.plan, state);
    std::printf("shale: keys, indexes and views created in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - keys_started).count());
    exec_checked(target,
                 std::string("INSERT INTO ") + kProgressTable + " (slot, lsn) VALUES (" + quote_literal(state.slot()) +
                     ", " + quote_literal(state.data["snapshot_lsn"].get<std::string>()) + ")",
                 "recording the import's progress on Shale");
    state.set_phase("following");
}

// follow runs the change stream until a signal; prints how to go on.
int follow(const ImportContext &context, ImportState &state)
{
    const std::atomic<bool> &stop = install_stop_signals();
    std::cout << "following the source's changes (shale import status --dir " << state.dir
              << " shows the lag; shale import cutover --dir " << state.dir << " switches over)\n" << std::flush;
    std::uint64_t confirmed = follow_changes(context.catalog, context.plan, follow_options(state, &stop, 0));
    std::cout << "stopped at " << format_lsn(confirmed) << "; resume with shale import start --dir " << state.dir
              << "\n";
    return 0;
}

}  // namespace

int start_command(const StartOptions &options)
{
    if (state_exists(options.dir)) {
        ImportState state = load_state(options.dir);
        ImportLock lock = ImportLock::try_acquire(options.dir);
        if (!lock.held())
            throw CliError("another shale import process works on " + options.dir +
                           " (see shale import status --dir " + options.dir + ")");
        if (state.phase() == "done" || state.phase() == "aborted")
            throw CliError("the import in " + options.dir + " is " + state.phase() +
                           "\nhint: use another --dir for a new import");
        if (state.phase() == "following" || state.phase() == "cutting_over") {
            if (state.phase() == "cutting_over")
                throw CliError("a cutover of this import was interrupted\nhint: run shale import cutover --dir " +
                               options.dir + " again, or shale import abort --dir " + options.dir);
            std::cout << "resuming the import in " << options.dir << " from replication slot " << state.slot() << "\n";
            ImportContext context = load_context(state);
            return follow(context, state);
        }
        // Stopped before or during the copy: its snapshot is gone, so start the copy again.
        std::cout << "the import in " << options.dir << " stopped during phase " << state.phase()
                  << ": removing what it made and starting again\n";
        std::vector<std::string> left = remove_import(state);
        if (!left.empty())
            throw CliError("could not remove the interrupted import: " + left.front());
        ImportState fresh;
        fresh.dir = options.dir;
        fresh.data = {{"source_uri", state.source_uri()}, {"target_uri", state.target_uri()},
                      {"slot", state.slot()}, {"publication", state.publication()}, {"plan", state.data["plan"]},
                      {"phase", "starting"}};
        fresh.save();
        ImportContext context = load_context(fresh);
        try {
            create_and_copy(context, fresh, options.jobs);
        } catch (const CliError &error) {
            std::cerr << "shale: error: " << error.what() << "\nshale: removing what the import created\n";
            remove_import(fresh);
            throw CliError("the import did not start; the source and Shale are as before");
        }
        return follow(context, fresh);
    }
    if (options.source_uri.empty() || options.target_uri.empty())
        throw CliError("shale import start needs SOURCE_URI and --to SHALE_URI (or --dir of an import to resume)", 2);
    PgConnection source = connect_checked(options.source_uri, "source");
    ImportContext context;
    context.catalog = load_source_catalog(source);
    context.plan = options.plan_file.empty() ? propose_plan(context.catalog)
                                             : load_plan_file(options.plan_file, context.catalog);
    std::vector<Problem> problems = find_problems(context.catalog, tables_handled_by_plan(context.plan));
    if (has_fatal(problems)) {
        print_problems(problems);
        throw CliError("the source is not ready for an import; nothing was changed");
    }
    PgConnection target = connect_checked(options.target_uri, "Shale");
    check_target(target, context.catalog, context.plan);
    std::filesystem::create_directories(options.dir);
    ImportLock lock = ImportLock::try_acquire(options.dir);
    if (!lock.held())
        throw CliError("another shale import process works on " + options.dir);
    ImportState state;
    state.dir = options.dir;
    std::string name = "shale_import_" + random_suffix();
    state.data = {{"source_uri", options.source_uri}, {"target_uri", options.target_uri}, {"slot", name},
                  {"publication", name}, {"plan", plan_to_json(context.catalog, context.plan)}, {"phase", "starting"}};
    state.save();
    if (options.plan_file.empty())
        std::cout << "plan: proposed by shale import plan (tenant column: "
                  << (context.plan.tenant_column.empty() ? "none" : context.plan.tenant_column) << "), saved in "
                  << options.dir << "/import.json\n";
    try {
        create_and_copy(context, state, options.jobs);
    } catch (const CliError &error) {
        std::cerr << "shale: error: " << error.what() << "\nshale: removing what the import created\n";
        std::vector<std::string> left = remove_import(state);
        for (const auto &problem : left)
            std::cerr << "shale: could not remove: " << problem << "\n";
        throw CliError(left.empty() ? "the import did not start; the source and Shale are as before"
                                    : "the import did not start; run shale import abort --dir " + options.dir +
                                          " once both sides answer");
    }
    return follow(context, state);
}

}  // namespace shale::import
