// import_status.cpp — `shale import status`: the phase, the copy's progress
// per table, or the follow's lag as the source's slot sees it.
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include "import/import_commands.h"
#include "import/import_state.h"
#include "import/source_connection.h"

namespace shale::import {

int status_command(const std::string &dir)
{
    ImportState state = load_state(dir);
    nlohmann::json status = read_status(dir);
    ImportLock probe = ImportLock::try_acquire(dir);
    bool running = !probe.held();
    probe = ImportLock();
    std::cout << "import:   " << dir << "\nphase:    " << state.phase() << "\nprocess:  "
              << (running ? "running (pid " + std::to_string(status.value("pid", 0LL)) + ")"
                          : "not running" + std::string(state.phase() == "following"
                                                            ? " (resume with shale import start --dir " + dir + ")"
                                                            : ""))
              << "\n";
    if (state.phase() == "copying" && status.contains("tables")) {
        for (const auto &table : status["tables"])
            std::printf("  %-30s %-8s %10lld of ~%lld rows  %.1f MB/s  ETA %lld s\n",
                        table["table"].get<std::string>().c_str(), table["state"].get<std::string>().c_str(),
                        table["rows"].get<long long>(), table["rows_estimate"].get<long long>(),
                        table["bytes_per_second"].get<long long>() / 1e6, table["eta_seconds"].get<long long>());
    }
    if (state.data.contains("copy"))
        std::printf("copy:     %lld rows, %.1f MB in %.1f s (%.1f MB/s)\n", state.data["copy"]["rows"].get<long long>(),
                    state.data["copy"]["bytes"].get<long long>() / 1e6, state.data["copy"]["seconds"].get<double>(),
                    state.data["copy"]["megabytes_per_second"].get<double>());
    if (state.phase() == "following" || state.phase() == "cutting_over") {
        if (status.value("phase", "") == "following")
            std::cout << "applied:  " << status.value("transactions", 0LL) << " transactions (" << status.value("inserts", 0LL)
                      << " inserts, " << status.value("updates", 0LL) << " updates, " << status.value("deletes", 0LL)
                      << " deletes, " << status.value("moves", 0LL) << " rows moved between shards) since the process started\n";
        if (status.value("missing_rows", 0LL) > 0)
            std::cout << "warning:  " << status.value("missing_rows", 0LL) << " updates found no row on Shale: the cutover's "
                      << "verification will show the tables that differ\n";
        try {
            PgConnection source = connect_checked(state.source_uri(), "source");
            PgResult slot = source.exec_params(
                "SELECT confirmed_flush_lsn, pg_current_wal_lsn(), pg_wal_lsn_diff(pg_current_wal_lsn(), "
                "confirmed_flush_lsn)::bigint, active FROM pg_replication_slots WHERE slot_name = $1",
                {state.slot()});
            if (slot.ok() && slot.rows() == 1)
                std::cout << "lag:      " << slot.value(0, 2) << " bytes (Shale has applied the source up to "
                          << slot.value(0, 0) << "; the source is at " << slot.value(0, 1) << ")\n";
            else
                std::cout << "lag:      unknown: the slot " << state.slot() << " is missing on the source\n";
        } catch (const std::exception &error) {
            std::cout << "lag:      unknown: " << error.what() << "\n";
        }
    }
    if (state.phase() == "done" && state.data.contains("cutover"))
        std::printf("cutover:  write pause %.0f ms, verification %.0f ms\n",
                    state.data["cutover"]["write_pause_ms"].get<double>(), state.data["cutover"]["verify_ms"].get<double>());
    return 0;
}

}  // namespace shale::import
