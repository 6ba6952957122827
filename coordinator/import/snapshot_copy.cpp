// snapshot_copy.cpp — the parallel COPY of an import's first snapshot.
#include "import/snapshot_copy.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/cli_error.h"
#include "import/source_connection.h"

namespace shale::import {

namespace {

using Clock = std::chrono::steady_clock;

// TableProgress is updated by the copying thread and read by the reporter.
struct TableProgress {
    std::atomic<long long> rows{0}, bytes{0};
    std::atomic<int> state{0};  // 0 waiting, 1 copying, 2 done
    Clock::time_point started, finished;
};

// copy_one streams one table from the snapshot into the router; returns "" or the error.
std::string copy_one(const std::string &source_uri, const std::string &target_uri, const std::string &snapshot,
                     const CopyJob &job, TableProgress &progress, const std::atomic<bool> &stop)
{
    PgConnection source = connect_checked(source_uri, "source");
    PgConnection target = connect_checked(target_uri, "Shale");
    for (const PgConnection *connection : {&source, &target}) {
        PgResult settings = connection->exec(kSessionSettings);
        if (!settings.ok())
            return settings.error_message();
    }
    PgResult begin = source.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgResult snap = source.exec("SET TRANSACTION SNAPSHOT " + quote_literal(snapshot));
    if (!snap.ok())
        return "cannot use the exported snapshot: " + snap.error_message();
    std::string columns = join_identifiers(job.columns);
    PgResult out = source.exec("COPY (SELECT " + columns + " FROM " + (job.partitioned ? "" : "ONLY ") + job.table +
                               (job.where.empty() ? "" : " WHERE " + job.where) + ") TO STDOUT");
    if (PQresultStatus(out.get()) != PGRES_COPY_OUT)
        return "COPY out of the source: " + out.error_message();
    PgResult in = target.exec("COPY " + job.table + " (" + columns + ") FROM STDIN");
    if (PQresultStatus(in.get()) != PGRES_COPY_IN)
        return "COPY into Shale: " + in.error_message();
    while (true) {
        char *buffer = nullptr;
        int length = PQgetCopyData(source.get(), &buffer, 0);
        if (length == -1)
            break;
        if (length < 0)
            return "reading from the source: " + source.error_message();
        int sent = PQputCopyData(target.get(), buffer, length);
        PQfreemem(buffer);
        if (sent != 1)
            return "writing to Shale: " + target.error_message();
        progress.rows.fetch_add(1, std::memory_order_relaxed);
        progress.bytes.fetch_add(length, std::memory_order_relaxed);
        if (stop.load(std::memory_order_relaxed)) {
            PQputCopyEnd(target.get(), "import stopped");
            return "stopped";
        }
    }
    PgResult out_end(PQgetResult(source.get()));
    if (!out_end.ok())
        return "COPY out of the source: " + out_end.error_message();
    if (PQputCopyEnd(target.get(), nullptr) != 1)
        return "finishing COPY into Shale: " + target.error_message();
    PgResult in_end(PQgetResult(target.get()));
    if (!in_end.ok())
        return "COPY into Shale of " + job.table + ": " + in_end.error_message();
    source.exec("COMMIT");
    return "";
}

std::string human_rate(double bytes_per_second)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB/s", bytes_per_second / 1e6);
    return text;
}

}  // namespace

std::vector<CopyResult> copy_snapshot(const std::string &source_uri, const std::string &target_uri,
                                      const std::string &snapshot, const std::vector<CopyJob> &jobs, int parallel,
                                      const std::function<void(const nlohmann::json &)> &report)
{
    // The biggest tables start first, so the copy ends as early as it can.
    std::vector<size_t> order(jobs.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return jobs[a].bytes_estimate > jobs[b].bytes_estimate; });
    std::vector<TableProgress> progress(jobs.size());
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex error_mutex;
    std::string first_error;
    auto worker = [&]() {
        while (!stop.load()) {
            size_t position = next.fetch_add(1);
            if (position >= order.size())
                return;
            size_t index = order[position];
            progress[index].started = Clock::now();
            progress[index].state = 1;
            std::string error;
            try {
                error = copy_one(source_uri, target_uri, snapshot, jobs[index], progress[index], stop);
            } catch (const std::exception &exception) {
                error = exception.what();
            }
            progress[index].finished = Clock::now();
            progress[index].state = 2;
            if (!error.empty()) {
                std::lock_guard<std::mutex> guard(error_mutex);
                if (first_error.empty())
                    first_error = "copying " + jobs[index].label() + ": " + error;
                stop = true;
            }
        }
    };
    auto started = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, std::min<int>(parallel, static_cast<int>(jobs.size()))); ++i)
        threads.emplace_back(worker);
    // report_progress prints one line per table being copied and the totals.
    auto report_progress = [&](bool final) {
        nlohmann::json tables = nlohmann::json::array();
        long long total_bytes = 0;
        for (size_t i = 0; i < jobs.size(); ++i) {
            const TableProgress &table = progress[i];
            double seconds = table.state == 0 ? 0
                             : std::chrono::duration<double>((table.state == 2 ? table.finished : Clock::now()) -
                                                             table.started).count();
            long long rows = table.rows, bytes = table.bytes;
            total_bytes += bytes;
            double rate = seconds > 0 ? bytes / seconds : 0;
            double row_rate = seconds > 0 ? rows / seconds : 0;
            double remaining = std::max(0.0, jobs[i].row_estimate - static_cast<double>(rows));
            double eta = table.state == 1 && row_rate > 0 ? remaining / row_rate : 0;
            const char *state = table.state == 0 ? "waiting" : table.state == 1 ? "copying" : "done";
            tables.push_back({{"table", jobs[i].label()}, {"state", state}, {"rows", rows}, {"bytes", bytes},
                              {"rows_estimate", static_cast<long long>(jobs[i].row_estimate)},
                              {"bytes_per_second", static_cast<long long>(rate)}, {"eta_seconds", static_cast<long long>(eta)}});
            if (table.state == 1 || (final && table.state == 2)) {
                char when[48];
                if (table.state == 1)
                    std::snprintf(when, sizeof when, "ETA %.0f s", eta);
                else
                    std::snprintf(when, sizeof when, "done in %.1f s", seconds);
                std::printf("copy: %-28s %10lld of ~%lld rows  %s  %s\n", jobs[i].label().c_str(), rows,
                            static_cast<long long>(std::max<double>(jobs[i].row_estimate, static_cast<double>(rows))),
                            human_rate(rate).c_str(), when);
            }
        }
        double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        std::fflush(stdout);
        report({{"phase", "copying"}, {"tables", tables}, {"bytes", total_bytes},
                {"bytes_per_second", static_cast<long long>(elapsed > 0 ? total_bytes / elapsed : 0)}});
    };
    auto last_report = Clock::now();
    while (true) {
        bool all_done = std::all_of(progress.begin(), progress.end(), [](const TableProgress &p) { return p.state == 2; });
        if (all_done || stop)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (Clock::now() - last_report >= std::chrono::seconds(2)) {
            report_progress(false);
            last_report = Clock::now();
        }
    }
    for (auto &thread : threads)
        thread.join();
    if (!first_error.empty())
        throw CliError(first_error);
    report_progress(true);
    std::vector<CopyResult> results;
    for (size_t i = 0; i < jobs.size(); ++i)
        results.push_back({jobs[i].table, progress[i].rows, progress[i].bytes,
                           std::chrono::duration<double>(progress[i].finished - progress[i].started).count()});
    return results;
}

}  // namespace shale::import
