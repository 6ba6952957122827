// change_stream.cpp — the replication stream of an import: framing of
// XLogData and keepalive messages, standby status updates, batching and
// reconnection (see change_stream.h).
#include "import/change_stream.h"

#include <poll.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "common/pg_connection.h"
#include "import/change_apply.h"
#include "import/pgoutput_decoder.h"
#include "import/source_connection.h"

namespace shale::import {

namespace {

using Clock = std::chrono::steady_clock;

// A router transaction holds at most this many source transactions, or this much time.
constexpr int kBatchTransactions = 2000;
constexpr auto kBatchTime = std::chrono::milliseconds(300);

std::uint64_t read_uint64(const char *data)
{
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value = (value << 8) | static_cast<unsigned char>(data[i]);
    return value;
}

void write_uint64(char *data, std::uint64_t value)
{
    for (int i = 7; i >= 0; --i) {
        data[i] = static_cast<char>(value & 0xff);
        value >>= 8;
    }
}

// microseconds_since_2000 is the clock of the replication protocol.
std::uint64_t microseconds_since_2000()
{
    using namespace std::chrono;
    auto now = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<std::uint64_t>(now - 946684800LL * 1000000LL);
}

// send_status tells the source what is written and flushed (applied on Shale);
// returns false when the connection is gone.
bool send_status(PGconn *connection, std::uint64_t received, std::uint64_t flushed, bool reply)
{
    char message[34];
    message[0] = 'r';
    write_uint64(message + 1, received);
    write_uint64(message + 9, flushed);
    write_uint64(message + 17, flushed);
    write_uint64(message + 25, microseconds_since_2000());
    message[33] = reply ? 1 : 0;
    return PQputCopyData(connection, message, sizeof message) == 1 && PQflush(connection) == 0;
}

// connect_retrying opens a connection, retrying while the server is unreachable
// (a restart or a failover) until the deadline or a stop.
PgConnection connect_retrying(const std::string &uri, const std::string &what, const FollowOptions &options)
{
    auto deadline = Clock::now() + std::chrono::seconds(options.reconnect_timeout_s);
    bool told = false;
    while (true) {
        try {
            return connect_checked(uri, what);
        } catch (const CliError &error) {
            if (Clock::now() > deadline || (options.stop && options.stop->load()))
                throw;
            if (!told)
                std::cerr << "shale: " << error.what() << "\nshale: retrying until it answers\n";
            told = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

// StreamSession is one pass of streaming: from a connect to a lost connection, a stop or the target LSN.
enum class SessionEnd { stopped, caught_up, lost };

struct StreamState {
    std::uint64_t confirmed = 0;   // applied on Shale (or nothing to apply before it)
    std::uint64_t received = 0;
    std::uint64_t server_end = 0;  // the source's WAL end, as last reported
    std::uint64_t until = 0;       // the LSN to reach (FollowOptions::until_lsn, then on_caught_up's), 0 for none
    Clock::time_point last_report{}, last_status{};
    ApplyCounters counters;
};

SessionEnd stream_once(const SourceCatalog &catalog, const ImportPlan &plan, const FollowOptions &options,
                       StreamState &stream)
{
    PgConnection target = connect_retrying(options.target_uri, "Shale", options);
    exec_checked(target, kSessionSettings, "setting up the Shale session");
    ChangeApplier applier(target, catalog, plan, options.slot);
    stream.confirmed = std::max(stream.confirmed, applier.applied_lsn());
    PgConnection source = connect_retrying(with_replication(options.source_uri), "source", options);
    PgResult settings = source.exec(kSessionSettings);
    if (!settings.ok())
        return SessionEnd::lost;
    PgResult started = source.exec("START_REPLICATION SLOT " + quote_identifier(options.slot) + " LOGICAL " +
                                   format_lsn(stream.confirmed) + " (proto_version '1', publication_names " +
                                   quote_literal(quote_identifier(options.publication)) + ")");
    if (PQresultStatus(started.get()) != PGRES_COPY_BOTH) {
        std::string message = started.error_message();
        if (message.find("does not exist") != std::string::npos)
            throw CliError("cannot stream from replication slot " + options.slot + ": " + message +
                           "\nhint: the slot was dropped on the source; shale import abort --dir DIR, then start again");
        if (message.find("is active") != std::string::npos)
            return SessionEnd::lost;  // the walsender of the previous stream is still exiting
        std::cerr << "shale: streaming from the source: " << message << "\n";
        return SessionEnd::lost;
    }
    bool in_transaction = false;
    Clock::time_point batch_started{};
    PGconn *conn = source.get();
    auto report = [&](bool force) {
        auto now = Clock::now();
        if (!force && now - stream.last_report < std::chrono::seconds(1))
            return;
        stream.last_report = now;
        const ApplyCounters &counters = applier.counters();
        if (options.report)
            options.report({{"phase", "following"},
                            {"confirmed_lsn", format_lsn(stream.confirmed)},
                            {"received_lsn", format_lsn(stream.received)},
                            {"source_wal_end", format_lsn(stream.server_end)},
                            {"lag_bytes", stream.server_end > stream.confirmed ? stream.server_end - stream.confirmed : 0},
                            {"transactions", stream.counters.transactions + counters.transactions},
                            {"inserts", stream.counters.inserts + counters.inserts},
                            {"updates", stream.counters.updates + counters.updates},
                            {"deletes", stream.counters.deletes + counters.deletes},
                            {"moves", stream.counters.moves + counters.moves},
                            {"missing_rows", stream.counters.missing_rows + counters.missing_rows},
                            {"already_deleted", stream.counters.already_deleted + counters.already_deleted}});
    };
    auto fold_counters = [&]() {
        const ApplyCounters &counters = applier.counters();
        stream.counters.transactions += counters.transactions;
        stream.counters.inserts += counters.inserts;
        stream.counters.updates += counters.updates;
        stream.counters.deletes += counters.deletes;
        stream.counters.moves += counters.moves;
        stream.counters.missing_rows += counters.missing_rows;
        stream.counters.already_deleted += counters.already_deleted;
    };
    auto commit = [&]() {
        if (applier.batch_open())
            stream.confirmed = std::max(stream.confirmed, applier.commit_batch());
        send_status(conn, stream.received, stream.confirmed, false);
        stream.last_status = Clock::now();
    };
    try {
        while (true) {
            if (options.stop && options.stop->load()) {
                if (in_transaction)
                    applier.rollback_batch();
                else
                    commit();
                report(true);
                fold_counters();
                return SessionEnd::stopped;
            }
            char *buffer = nullptr;
            int length = PQgetCopyData(conn, &buffer, 1);
            if (length == 0) {
                // Nothing more right now: commit what is applied, then wait for the socket.
                if (!in_transaction)
                    commit();
                if (stream.until && !in_transaction && !applier.batch_open() && stream.confirmed >= stream.until) {
                    stream.until = options.on_caught_up ? options.on_caught_up(stream.confirmed) : 0;
                    if (stream.until == 0) {
                        report(true);
                        fold_counters();
                        return SessionEnd::caught_up;
                    }
                    continue;
                }
                if (Clock::now() - stream.last_status > std::chrono::milliseconds(stream.until ? 50 : 1000)) {
                    // Ask for a keepalive: it tells the WAL end, so an idle source still shows its lag
                    // and a cutover sees when everything is through.
                    if (!send_status(conn, stream.received, stream.confirmed, true)) {
                        fold_counters();
                        return SessionEnd::lost;
                    }
                    stream.last_status = Clock::now();
                }
                report(false);
                struct pollfd descriptor = {PQsocket(conn), POLLIN, 0};
                poll(&descriptor, 1, 100);
                if (!PQconsumeInput(conn)) {
                    applier.rollback_batch();
                    fold_counters();
                    return SessionEnd::lost;
                }
                continue;
            }
            if (length < 0) {
                if (applier.batch_open())
                    applier.rollback_batch();
                std::cerr << "shale: the replication stream ended: " << source.error_message() << "\n";
                fold_counters();
                return SessionEnd::lost;
            }
            std::string frame(buffer, static_cast<size_t>(length));
            PQfreemem(buffer);
            if (frame[0] == 'k' && frame.size() >= 18) {
                stream.server_end = read_uint64(frame.data() + 1);
                // Between transactions with everything committed, all WAL up to here is done.
                if (!in_transaction && !applier.batch_open())
                    stream.confirmed = std::max(stream.confirmed, stream.server_end);
                if (frame[17])
                    send_status(conn, stream.received, stream.confirmed, false);
                continue;
            }
            if (frame[0] != 'w' || frame.size() < 25)
                continue;
            std::uint64_t start = read_uint64(frame.data() + 1);
            stream.server_end = std::max(stream.server_end, read_uint64(frame.data() + 9));
            stream.received = std::max(stream.received, start);
            DecodedMessage message = decode_pgoutput(frame.data() + 25, frame.size() - 25);
            switch (message.kind) {
            case MessageKind::begin:
                in_transaction = true;
                if (applier.begin_transaction(message.final_lsn) && !applier.batch_open())
                    batch_started = Clock::now();
                break;
            case MessageKind::commit:
                in_transaction = false;
                applier.end_transaction(message.end_lsn);
                stream.received = std::max(stream.received, message.end_lsn);
                if (applier.batch_open() &&
                    (applier.batch_transactions() >= kBatchTransactions || Clock::now() - batch_started > kBatchTime))
                    commit();
                if (!applier.batch_open())
                    stream.confirmed = std::max(stream.confirmed, message.end_lsn);
                break;
            case MessageKind::relation:
                applier.relation(message.relation);
                break;
            case MessageKind::insert:
            case MessageKind::update:
            case MessageKind::remove:
            case MessageKind::truncate:
                applier.change(message);
                break;
            default:
                break;
            }
            report(false);
        }
    } catch (const ApplyError &error) {
        if (!error.connection_lost)
            throw CliError(std::string("applying a change on Shale failed: ") + error.what() +
                           "\nhint: nothing after the last applied transaction was confirmed to the source; fix the "
                           "cause and run shale import start --dir DIR again to resume (or shale import abort)");
        std::cerr << "shale: applying on Shale failed for now, the batch is applied again: " << error.what() << "\n";
        fold_counters();
        return SessionEnd::lost;
    } catch (const DecodeError &error) {
        throw CliError(std::string("cannot decode the change stream: ") + error.what());
    }
}

}  // namespace

std::uint64_t follow_changes(const SourceCatalog &catalog, const ImportPlan &plan, const FollowOptions &options)
{
    StreamState stream;
    stream.until = options.until_lsn;
    // A session that keeps failing without progress (a failover that never ends) gives up in time.
    std::uint64_t progress_lsn = 0;
    auto progress_at = Clock::now();
    while (true) {
        SessionEnd end = stream_once(catalog, plan, options, stream);
        if (end != SessionEnd::lost)
            return stream.confirmed;
        if (stream.confirmed != progress_lsn) {
            progress_lsn = stream.confirmed;
            progress_at = Clock::now();
        } else if (Clock::now() - progress_at > std::chrono::seconds(options.reconnect_timeout_s)) {
            throw CliError("no change could be applied on Shale for " + std::to_string(options.reconnect_timeout_s) +
                           " s\nhint: check the cluster with shale status; run shale import start --dir DIR to resume");
        }
        if (options.stop && options.stop->load())
            return stream.confirmed;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

}  // namespace shale::import
