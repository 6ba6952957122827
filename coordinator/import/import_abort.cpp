// import_abort.cpp — `shale import abort` and the clean-up it shares with a
// failed start: the source gets back its write privileges and replica
// identities, loses the slot and the publication; Shale loses every object
// the import created.
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "import/import_commands.h"
#include "import/import_context.h"
#include "import/schema_copy.h"
#include "import/source_connection.h"
#include "import/source_freeze.h"

namespace shale::import {

namespace {

// strings_of lists the strings of the array data[key].
std::vector<std::string> strings_of(const nlohmann::json &data, const std::string &key)
{
    std::vector<std::string> values;
    if (data.contains(key))
        for (const auto &value : data[key])
            values.push_back(value.get<std::string>());
    return values;
}

// run_cleanup runs one statement, noting a failure in `left`.
void run_cleanup(const PgConnection &connection, const std::string &sql, std::vector<std::string> &left)
{
    PgResult result = connection.exec(sql);
    if (!result.ok())
        left.push_back(sql + ": " + result.error_message());
}

// clean_source undoes the import's changes on the source.
void clean_source(ImportState &state, std::vector<std::string> &left)
{
    PgConnection source;
    try {
        source = connect_checked(state.source_uri(), "source");
    } catch (const CliError &error) {
        left.push_back(error.what());
        return;
    }
    if (state.data.contains("frozen_grants")) {
        try {
            unfreeze_writes(source, state.data["frozen_grants"]);
            state.data.erase("frozen_grants");
            std::cout << "source: write privileges given back\n";
        } catch (const CliError &error) {
            left.push_back(error.what());
        }
    }
    source.exec_params("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 "
                       "AND active_pid IS NOT NULL",
                       {state.slot()});
    bool dropped = false;
    for (int attempt = 0; attempt < 50 && !dropped; ++attempt) {
        PgResult result = source.exec_params(
            "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = $1",
            {state.slot()});
        dropped = result.ok();
        if (dropped && result.value(0, 0) == "1")
            std::cout << "source: replication slot " << state.slot() << " dropped\n";
        if (!dropped)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!dropped)
        left.push_back("the replication slot " + state.slot() + " on the source");
    PgResult publication = source.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", {state.publication()});
    if (publication.ok() && publication.rows() > 0) {
        run_cleanup(source, "DROP PUBLICATION " + quote_identifier(state.publication()), left);
        std::cout << "source: publication " << state.publication() << " dropped\n";
    }
    restore_replica_identities(source, state, left);
}

// clean_target drops what the import created on Shale, views first.
void clean_target(ImportState &state, std::vector<std::string> &left)
{
    PgConnection target;
    try {
        target = connect_checked(state.target_uri(), "Shale");
    } catch (const CliError &error) {
        left.push_back(error.what());
        return;
    }
    std::vector<std::string> views = strings_of(state.data, "created_views");
    for (auto view = views.rbegin(); view != views.rend(); ++view)
        run_cleanup(target, "DROP VIEW IF EXISTS " + *view + " CASCADE", left);
    int tables = 0;
    for (const auto &table : strings_of(state.data, "created_tables")) {
        run_cleanup(target, "DROP TABLE IF EXISTS " + table + " CASCADE", left);
        ++tables;
    }
    for (const auto &sequence : strings_of(state.data, "created_sequences"))
        run_cleanup(target, "DROP SEQUENCE IF EXISTS " + sequence + " CASCADE", left);
    std::vector<std::string> on_workers;  // DROP statements for the router and every worker
    for (const auto &type : strings_of(state.data, "created_types"))
        on_workers.push_back("DROP TYPE IF EXISTS " + type + " CASCADE");
    for (const auto &extension : strings_of(state.data, "created_extensions"))
        on_workers.push_back("DROP EXTENSION IF EXISTS " + quote_identifier(extension) + " CASCADE");
    for (const auto &drop : on_workers) {
        run_cleanup(target, drop, left);
        PgResult workers = target.exec("SELECT host, port FROM shale.nodes WHERE role = 'primary' AND group_id > 0");
        for (int row = 0; workers.ok() && row < workers.rows(); ++row) {
            std::string conninfo = "host=" + quote_conninfo_value(workers.value(row, 0)) + " port=" + workers.value(row, 1) +
                                   " dbname=" + quote_conninfo_value(PQdb(target.get())) +
                                   " user=" + quote_conninfo_value(PQuser(target.get())) + " connect_timeout=10";
            if (PQpass(target.get()) && *PQpass(target.get()))
                conninfo += " password=" + quote_conninfo_value(PQpass(target.get()));
            PgConnection worker = PgConnection::connect(conninfo);
            if (worker.ok())
                run_cleanup(worker, drop, left);
        }
    }
    PgResult progress = target.exec("SELECT to_regclass('shale_import.progress') IS NOT NULL");
    if (progress.ok() && progress.value(0, 0) == "t") {
        target.exec_params(std::string("DELETE FROM ") + kProgressTable + " WHERE slot = $1", {state.slot()});
        PgResult others = target.exec(std::string("SELECT count(*) FROM ") + kProgressTable);
        if (others.ok() && others.value(0, 0) == "0")
            run_cleanup(target, "DROP SCHEMA shale_import CASCADE", left);
    }
    for (const auto &schema : strings_of(state.data, "created_schemas"))
        run_cleanup(target, "DROP SCHEMA IF EXISTS " + quote_identifier(schema), left);
    if (tables)
        std::cout << "shale: " << tables << " table(s) and what the import created with them dropped\n";
}

}  // namespace

void restore_replica_identities(const PgConnection &source, const ImportState &state, std::vector<std::string> &left)
{
    if (!state.data.contains("replica_identity_changed"))
        return;
    for (const auto &change : state.data["replica_identity_changed"]) {
        std::string was = change["was"].get<std::string>() == "n" ? "NOTHING" : "DEFAULT";
        run_cleanup(source, "ALTER TABLE " + change["table"].get<std::string>() + " REPLICA IDENTITY " + was, left);
        std::cout << "source: " << change["table"].get<std::string>() << " back to REPLICA IDENTITY " << was << "\n";
    }
}

std::vector<std::string> remove_import(ImportState &state)
{
    std::vector<std::string> left;
    clean_source(state, left);
    clean_target(state, left);
    if (left.empty())
        for (const char *list : {"created_views", "created_tables", "created_sequences", "created_types",
                                 "created_extensions", "created_schemas", "replica_identity_changed"})
            state.data.erase(list);
    state.save();
    return left;
}

int abort_command(const std::string &dir)
{
    ImportState state = load_state(dir);
    if (state.phase() == "done")
        throw CliError("the import in " + dir + " has cut over: Shale is the database now, there is nothing to abort");
    if (state.phase() == "aborted") {
        std::cout << "the import in " << dir << " was aborted already\n";
        return 0;
    }
    ImportLock lock = ImportLock::acquire_stopping_holder(dir, 60);
    state = load_state(dir);
    std::vector<std::string> left = remove_import(state);
    if (!left.empty()) {
        for (const auto &problem : left)
            std::cerr << "shale: could not remove: " << problem << "\n";
        throw CliError("abort is not finished; run shale import abort --dir " + dir + " again once both sides answer");
    }
    state.set_phase("aborted");
    std::cout << "import aborted: the source is as it was, and Shale holds nothing of the import\n";
    return 0;
}

}  // namespace shale::import
