// node_control.cpp — running initdb, pg_basebackup and pg_ctl for cluster nodes.
#include "cli/node_control.h"

#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "cli/cli_error.h"
#include "common/backup_repository.h"
#include "common/tls_authority.h"
#include "common/cluster_password.h"
#include "common/process.h"
#include "common/server_control.h"

namespace shale {

bool extension_disabled()
{
    const char *value = std::getenv("SHALE_NO_EXTENSION");
    return value != nullptr && std::string(value) == "1";
}

// pg_config_value runs pg_config with one option and returns its output line.
static std::string pg_config_value(const std::string &option)
{
    std::string command = postgres_bindir() + "/pg_config " + option + " 2>/dev/null";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
    if (!pipe)
        return "";
    char buffer[4096];
    std::string output;
    if (std::fgets(buffer, sizeof(buffer), pipe.get()) != nullptr)
        output = buffer;
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r'))
        output.pop_back();
    return output;
}

void check_extension_installed()
{
    if (extension_disabled())
        return;
    std::string control = pg_config_value("--sharedir") + "/extension/shale.control";
    std::string library = pg_config_value("--pkglibdir") + "/shale.so";
    for (const auto &path : {control, library})
        if (access(path.c_str(), R_OK) != 0)
            throw CliError("the shale extension is not installed (" + path +
                           " is missing); run `make install` first, or set SHALE_NO_EXTENSION=1 to start "
                           "plain PostgreSQL nodes (developer option)");
}

// locale_arguments prefers the C.UTF-8 locale and falls back to --no-locale.
static std::vector<std::string> locale_arguments()
{
    locale_t probe = newlocale(LC_ALL_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (probe != static_cast<locale_t>(0)) {
        freelocale(probe);
        return {"--locale=C.UTF-8"};
    }
    return {"--no-locale"};
}

void NodeControl::run_jobs(const std::string &step, const std::vector<Job> &jobs) const
{
    std::vector<pid_t> pids;
    for (const auto &job : jobs) {
        ProcessOptions options;
        options.run_as = &user_;
        options.output_file = setup_log(job.node);
        options.working_dir = layout_.dir;
        pids.push_back(spawn_process(job.argv, options));
    }
    std::string failures;
    for (size_t index = 0; index < jobs.size(); index++) {
        int exit_code = wait_process(pids[index]);
        if (exit_code == 0)
            continue;
        const NodeSpec &node = jobs[index].node;
        failures += "\n  " + step + " failed for " + node.name + " (exit code " + std::to_string(exit_code) +
                    "); end of " + setup_log(node) + ":\n" + tail_file(setup_log(node), 15);
        std::string server_log = layout_.node_log(node);
        if (access(server_log.c_str(), R_OK) == 0)
            failures += "  end of " + server_log + ":\n" + tail_file(server_log, 15);
    }
    if (!failures.empty())
        throw CliError(failures.substr(1));
}

void NodeControl::initdb(const std::vector<NodeSpec> &nodes)
{
    // the superuser gets the cluster's password (generated once, DIR/pgpass);
    // initdb reads it from a file the server user can read, removed right after
    const std::string password = ensure_cluster_password(layout_.dir, user_);
    const std::string password_file = layout_.dir + "/initdb.pw";
    {
        std::ofstream out(password_file, std::ios::trunc);
        out << password << "\n";
        if (!out)
            throw CliError("could not write " + password_file);
    }
    chmod(password_file.c_str(), 0600);
    if (user_.switch_needed && chown(password_file.c_str(), user_.uid, user_.gid) != 0)
        throw CliError("could not give " + password_file + " to OS user " + user_.name);
    std::vector<Job> jobs;
    for (const auto &node : nodes) {
        // --no-sync: one sync() after all initdb runs replaces three separate
        // flushes; the servers themselves run with fsync on.
        std::vector<std::string> argv = {postgres_bindir() + "/initdb", "-D", node.data_dir, "-U", "postgres",
                                         "--auth=scram-sha-256", "--pwfile=" + password_file, "-E", "UTF8",
                                         "--no-sync"};
        for (const auto &argument : locale_arguments())
            argv.push_back(argument);
        jobs.push_back({node, argv});
    }
    try {
        run_jobs("initdb", jobs);
    } catch (...) {
        unlink(password_file.c_str());
        throw;
    }
    unlink(password_file.c_str());
    sync();
}

void NodeControl::base_backup(const std::vector<NodeSpec> &replicas)
{
    std::vector<Job> jobs;
    for (const auto &replica : replicas) {
        const NodeSpec &primary = layout_.primary_of(replica);
        jobs.push_back({replica,
                        {postgres_bindir() + "/pg_basebackup", "-h", primary.host, "-p", std::to_string(primary.port), "-U",
                         "postgres", "-D", replica.data_dir, "-R", "-X", "stream", "-c", "fast", "-C", "-S",
                         replica.slot_name(), "--no-sync"}});
    }
    run_jobs("pg_basebackup", jobs);
    sync();  // one flush for every copy, as after initdb
}

void NodeControl::create_primaries(const std::vector<NodeSpec> &primaries)
{
    initdb(primaries);
    for (const auto &primary : primaries)
        configure_primary(primary);
}

void NodeControl::create_replicas(const std::vector<NodeSpec> &replicas)
{
    base_backup(replicas);
    for (const auto &replica : replicas)
        configure_replica(replica);
}

void NodeControl::start(const std::vector<NodeSpec> &nodes)
{
    std::vector<Job> jobs;
    for (const auto &node : nodes)
        jobs.push_back({node,
                        {postgres_bindir() + "/pg_ctl", "start", "-w", "-t", "60", "-D", node.data_dir, "-l",
                         layout_.node_log(node)}});
    run_jobs("pg_ctl start", jobs);
}

void NodeControl::stop(const std::vector<NodeSpec> &nodes)
{
    std::vector<Job> jobs;
    for (const auto &node : nodes)
        jobs.push_back({node, {postgres_bindir() + "/pg_ctl", "stop", "-D", node.data_dir, "-m", "fast", "-w", "-t", "60"}});
    run_jobs("pg_ctl stop", jobs);
}

void NodeControl::stop_running(const std::vector<NodeSpec> &nodes) noexcept
{
    try {
        std::vector<NodeSpec> running;
        for (const auto &node : nodes)
            if (postmaster_pid(node))
                running.push_back(node);
        if (!running.empty())
            stop(running);
    } catch (const std::exception &) {
    }
}

// append_to_file appends text to an existing file (its owner stays the same).
static void append_to_file(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::app);
    out << text;
    if (!out)
        throw CliError("could not write " + path);
}

void NodeControl::configure_primary(const NodeSpec &node) const
{
    std::string settings =
        "\n# Added by `shale up`.\n"
        "listen_addresses = '" + node.host + "'\n"
        "port = " + std::to_string(node.port) + "\n"
        "unix_socket_directories = ''\n"
        "wal_level = logical\n"
        "max_prepared_transactions = 100\n"
        "max_wal_senders = 20\n"
        "max_replication_slots = 20\n"
        "wal_keep_size = '256MB'\n"
        "hot_standby = on\n"
        // pg_rewind needs it to bring a failed-over primary back as a replica
        "wal_log_hints = on\n"
        // a shard move's subscription starts its worker at once: the launcher waits this long between
        // starts (5 s by default), which would make every move of a drain or rebalance wait
        "wal_retrieve_retry_interval = '200ms'\n"
        "max_connections = 200\n"
        "logging_collector = off\n";
    if (!extension_disabled())
        settings += "shared_preload_libraries = 'shale'\n"
                    // router-to-worker connections and shard moves' subscriptions find the password here;
                    // on one machine they stay on 127.0.0.1, where TLS would only cost time (docs/security.md)
                    "shale.node_conninfo = 'passfile=" + cluster_password_file(layout_.dir) +
                    (layout_.on_hosts() ? "" : " sslmode=disable") + "'\n";
    if (!layout_.tls_dir.empty() && !layout_.on_hosts()) {
        // TLS for clients, with a certificate that the cluster's authority signs (verify-full works);
        // nodes on hosts (shale agent) get none yet: the authority's key stays where shale up ran
        issue_server_certificate(layout_.tls_dir, node.data_dir + "/server.crt", node.data_dir + "/server.key",
                                 {"localhost", "127.0.0.1"}, user_);
        settings += "ssl = on\n"
                    "ssl_cert_file = 'server.crt'\n"
                    "ssl_key_file = 'server.key'\n";
    }
    if (!layout_.on_hosts()) {
        // WAL archiving into the group's pgBackRest stanza (docs/backups.md); not yet for nodes on hosts
        settings += backup_server_settings(layout_, node.group);
        settings += replica_archive_settings(layout_, node.group);
    }
    append_to_file(node.data_dir + "/postgresql.conf", settings);

    std::ofstream hba(node.data_dir + "/pg_hba.conf", std::ios::trunc);
    if (layout_.on_hosts())
        // a node of a cluster over several machines (made by its host's `shale agent`): TCP from any
        // address, always with a SCRAM password (the agent's DIR/pgpass holds the cluster's one)
        hba << "# Written by `shale agent`: TCP from any address, always with a SCRAM password (DIR/pgpass).\n"
               "host all all 0.0.0.0/0 scram-sha-256\n"
               "host replication all 0.0.0.0/0 scram-sha-256\n";
    else
        hba << "# Written by `shale up`: TCP on 127.0.0.1 only, always with a SCRAM password (DIR/pgpass).\n"
               "host all all 127.0.0.1/32 scram-sha-256\n"
               "host replication all 127.0.0.1/32 scram-sha-256\n"
            << backup_hba_lines();
    if (!hba)
        throw CliError("could not write " + node.data_dir + "/pg_hba.conf");
}

void NodeControl::configure_replica(const NodeSpec &node) const
{
    // pg_basebackup -R already wrote standby.signal, primary_conninfo and
    // primary_slot_name; later lines win, so we override the address (a replica
    // on another host than its primary) and the port, and name the
    // replica (application_name) for synchronous_standby_names.
    const NodeSpec &primary = layout_.primary_of(node);
    append_to_file(node.data_dir + "/postgresql.auto.conf",
                   "# Added by `shale up`.\n"
                   "listen_addresses = '" + node.host + "'\n"
                   "port = " + std::to_string(node.port) + "\n"
                   "primary_conninfo = 'host=" + primary.host + " port=" + std::to_string(primary.port) +
                       " user=postgres" + (layout_.on_hosts() ? "" : " sslmode=disable") +
                       " passfile=" + cluster_password_file(layout_.dir) +
                       " application_name=" + node.slot_name() + "'\n");
}

std::optional<pid_t> NodeControl::postmaster_pid(const NodeSpec &node)
{
    auto pid = read_pid_file(node.data_dir + "/postmaster.pid");
    if (!pid || !process_is_alive(*pid))
        return std::nullopt;
    return pid;
}

}  // namespace shale
