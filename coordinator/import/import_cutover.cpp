// import_cutover.cpp — `shale import cutover`: stops the follower, catches up,
// blocks writes on the source, applies the last changes, moves every sequence
// to the source's value, freezes the source (write privileges revoked), lifts
// the block, verifies row counts and checksums of every table on both sides,
// and on success drops the slot and publication and prints the new URI. A
// failed verification gives the source its writes back and keeps following.
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "import/change_stream.h"
#include "import/import_commands.h"
#include "import/import_context.h"
#include "import/pgoutput_decoder.h"
#include "import/schema_copy.h"
#include "import/source_connection.h"
#include "import/source_freeze.h"
#include "import/table_verification.h"

namespace shale::import {

namespace {

using Clock = std::chrono::steady_clock;

// Writes are blocked once a catch-up round takes less than this, or after this many rounds.
constexpr double kShortRoundMs = 300;
constexpr int kMaxRounds = 30;

double milliseconds_since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// current_wal_lsn reads the source's WAL insert position.
std::uint64_t current_wal_lsn(const PgConnection &source)
{
    return parse_lsn(exec_checked(source, "SELECT pg_current_wal_lsn()", "reading the source's WAL position").value(0, 0));
}

// catch_up follows the slot until until_lsn, then asks on_caught_up for the
// next LSN on the same stream (0 ends it). Each stretch gets its own timeout:
// timeouts_s[0] for the first, timeouts_s[1] for the later ones.
void catch_up(const ImportContext &context, const ImportState &state, std::uint64_t until_lsn,
              const std::function<std::uint64_t(std::uint64_t)> &on_caught_up, const int timeouts_s[2])
{
    std::atomic<bool> stop{false};
    std::atomic<bool> finished{false};
    std::atomic<long long> deadline_ms{0};
    auto now_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
    };
    deadline_ms = now_ms() + timeouts_s[0] * 1000LL;
    std::atomic<std::uint64_t> waiting_for{until_lsn};
    std::thread timer([&] {
        while (!finished && now_ms() < deadline_ms)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!finished)
            stop = true;
    });
    FollowOptions options = follow_options(state, &stop, until_lsn);
    options.on_caught_up = [&](std::uint64_t reached) -> std::uint64_t {
        std::uint64_t next = on_caught_up(reached);
        deadline_ms = now_ms() + timeouts_s[1] * 1000LL;
        waiting_for = next;
        return next;
    };
    std::uint64_t confirmed = 0;
    try {
        confirmed = follow_changes(context.catalog, context.plan, options);
    } catch (...) {
        finished = true;
        timer.join();
        throw;
    }
    finished = true;
    timer.join();
    if (waiting_for != 0)  // stopped by the timer before on_caught_up said it was done
        throw CliError("Shale did not catch up with the source in time (at " + format_lsn(confirmed) +
                       ", source at " + format_lsn(waiting_for) + ")\nhint: let the import follow until "
                       "shale import status shows a small lag, or give a longer --catch-up-timeout");
}

// copy_sequences sets every imported sequence on Shale to the source's value.
int copy_sequences(const PgConnection &source, const PgConnection &target, const ImportContext &context)
{
    int count = 0;
    for (const auto &sequence : context.catalog.sequences) {
        const TablePlan *owner = context.plan.find(sequence.owned_by_table);
        if (owner && owner->kind == "skip")
            continue;
        PgResult value = exec_checked(source, "SELECT last_value, is_called FROM " + sequence.qualified,
                                      "reading sequence " + sequence.qualified + " on the source");
        exec_checked(target,
                     "SELECT setval(" + quote_literal(sequence.qualified) + ", " + value.value(0, 0) + ", " +
                         (value.value(0, 1) == "t" ? "true" : "false") + ")",
                     "setting sequence " + sequence.qualified + " on Shale");
        ++count;
    }
    return count;
}

// drop_replication_objects drops the slot and the publication on the source.
void drop_replication_objects(const PgConnection &source, const ImportState &state)
{
    source.exec_params("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL",
                       {state.slot()});
    for (int attempt = 0; attempt < 50; ++attempt) {
        PgResult dropped = source.exec_params(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", {state.slot()});
        if (dropped.ok())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    exec_checked(source, "DROP PUBLICATION IF EXISTS " + quote_identifier(state.publication()),
                 "dropping the publication on the source");
}

}  // namespace

int cutover_command(const CutoverOptions &options)
{
    ImportState state = load_state(options.dir);
    if (state.phase() != "following" && state.phase() != "cutting_over")
        throw CliError("the import in " + options.dir + " is in phase " + state.phase() +
                       ": only a following import can cut over" +
                       (state.phase() == "done" ? "" : "\nhint: start it with shale import start --dir " + options.dir));
    ImportLock lock = ImportLock::acquire_stopping_holder(options.dir, 60);
    state = load_state(options.dir);
    ImportContext context = load_context(state);
    PgConnection source = connect_checked(state.source_uri(), "source");
    PgConnection target = connect_checked(state.target_uri(), "Shale");
    if (state.data.contains("frozen_grants")) {
        // An earlier cutover stopped after freezing the source: give writes back first.
        unfreeze_writes(source, state.data["frozen_grants"]);
        state.data.erase("frozen_grants");
        state.set_phase("following");
    }
    std::vector<std::string> tables;
    for (const TablePlan *table_plan : context.plan.imported())
        tables.push_back(table_plan->table);

    // One stream: catch up with the source's WAL as it is now, block writes, apply the rest.
    auto catch_up_started = Clock::now();
    Clock::time_point round_started = catch_up_started, blocked;
    int rounds = 0;
    std::uint64_t last_lsn = 0;
    bool writes_blocked = false;
    const int timeouts_s[2] = {options.catch_up_timeout_s * 10, options.catch_up_timeout_s};
    try {
        catch_up(context, state, current_wal_lsn(source),
                 [&](std::uint64_t) -> std::uint64_t {
                     if (writes_blocked)
                         return 0;
                     // Writes went on meanwhile: catch up again until a round is short, so that
                     // little is left to apply while writes are blocked.
                     double round_ms = milliseconds_since(round_started);
                     if (round_ms > kShortRoundMs && ++rounds < kMaxRounds) {
                         round_started = Clock::now();
                         return current_wal_lsn(source);
                     }
                     std::printf("cutover: caught up with the source in %.0f ms (%d round(s), the last %.0f ms)\n",
                                 milliseconds_since(catch_up_started), rounds + 1, round_ms);
                     // the pause counts from the first lock request: writes to a table wait from there
                     blocked = Clock::now();
                     block_writes(source, tables, options.lock_timeout_s);
                     writes_blocked = true;
                     std::printf("cutover: writes to %zu tables blocked on the source\n", tables.size());
                     std::fflush(stdout);
                     last_lsn = current_wal_lsn(source);
                     state.set_phase("cutting_over");
                     return last_lsn;
                 },
                 timeouts_s);
        int sequences = copy_sequences(source, target, context);
        nlohmann::json grants = freeze_writes(source, tables);
        state.data["frozen_grants"] = grants;
        state.save();
        exec_checked(source, "COMMIT", "ending the write block on the source");
        std::printf("cutover: last changes applied up to %s, %d sequence(s) set, source frozen (%zu write grant(s) "
                    "revoked)\n", format_lsn(last_lsn).c_str(), sequences, grants.size());
    } catch (...) {
        if (writes_blocked)
            source.exec("ROLLBACK");
        state.set_phase("following");
        throw;
    }
    double write_pause_ms = milliseconds_since(blocked);
    std::printf("cutover: write pause %.0f ms (writes to the source were blocked, then refused)\n", write_pause_ms);

    auto verify_started = Clock::now();
    std::vector<TableCheck> checks = verify_tables(state.source_uri(), state.target_uri(), context.catalog, context.plan);
    double verify_ms = milliseconds_since(verify_started);
    bool all_match = true;
    for (const auto &check : checks) {
        all_match = all_match && check.matches();
        std::printf("verify: %-30s %10s rows  checksum %-20s %s\n", check.table.c_str(), check.source_rows.c_str(),
                    check.source_checksum.c_str(),
                    check.matches() ? "equal"
                                    : (check.error.empty() ? ("DIFFERENT on Shale: " + check.target_rows + " rows, checksum " +
                                                              check.target_checksum)
                                                           : check.error)
                                          .c_str());
    }
    std::printf("verify: %zu tables in %.0f ms\n", checks.size(), verify_ms);
    if (!all_match) {
        unfreeze_writes(source, state.data["frozen_grants"]);
        state.data.erase("frozen_grants");
        state.set_phase("following");
        throw CliError("verification failed: Shale differs from the source in the tables marked DIFFERENT above\n"
                       "the source takes writes again and the import keeps its slot; find the cause, then either "
                       "shale import abort --dir " + options.dir + " and start over, or fix the rows on Shale, "
                       "resume with shale import start --dir " + options.dir + " and cut over again");
    }
    drop_replication_objects(source, state);
    std::vector<std::string> left;
    restore_replica_identities(source, state, left);
    for (const auto &problem : left)
        std::cerr << "shale: warning: " << problem << "\n";
    target.exec_params(std::string("DELETE FROM ") + kProgressTable + " WHERE slot = $1", {state.slot()});
    PgResult others = target.exec(std::string("SELECT count(*) FROM ") + kProgressTable);
    if (others.ok() && others.value(0, 0) == "0")
        target.exec("DROP SCHEMA shale_import CASCADE");
    state.data["cutover"] = {{"write_pause_ms", write_pause_ms}, {"verify_ms", verify_ms}, {"lsn", format_lsn(last_lsn)}};
    state.set_phase("done");
    std::printf("cutover: done. The source stays read-only for its application roles (writes were revoked; "
                "superusers can still write). Point the application at Shale:\n");
    std::cout << state.target_uri() << "\n";
    return 0;
}

}  // namespace shale::import
