// state_instance.cpp — initdb, configuration and pg_ctl for the embedded state
// instance. Its password lives in DIR/state/password (mode 0600, owned by
// whoever runs shale serve); the server user reads it once, at initdb.
#include "control_plane/state_instance.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "cli/node_control.h"
#include "common/pg_connection.h"
#include "common/process.h"
#include "common/secrets.h"
#include "common/server_control.h"

namespace shale {

namespace fs = std::filesystem;

namespace {

// kSocketPort only names the socket file (.s.PGSQL.5432): there is no TCP listener.
constexpr int kSocketPort = 5432;

std::string read_first_line(const std::string &path)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

}  // namespace

StateInstance StateInstance::embedded(const std::string &state_dir, const OsUser &user)
{
    StateInstance instance;
    instance.state_dir_ = state_dir;
    instance.user_ = &user;
    std::string socket = state_dir + "/.s.PGSQL." + std::to_string(kSocketPort);
    if (socket.size() >= 100)
        throw std::runtime_error("the state directory path is too long for a unix socket (" + socket +
                                 "); use a shorter --dir");
    return instance;
}

std::string StateInstance::conninfo() const
{
    if (!is_embedded())
        return conninfo_;
    std::string password_file = state_dir_ + "/password";
    std::string password = fs::exists(password_file) ? read_first_line(password_file) : "";
    return "host=" + quote_conninfo_value(state_dir_) + " port=" + std::to_string(kSocketPort) +
           " user=shale dbname=shale connect_timeout=5 application_name=shale_serve "
           "options='-c client_min_messages=warning'" +
           (password.empty() ? "" : " password=" + quote_conninfo_value(password));
}

StateInstance StateInstance::external(const std::string &conninfo)
{
    StateInstance instance;
    instance.conninfo_ = conninfo;
    return instance;
}

// create runs initdb with SCRAM for every connection, writes the settings
// (no TCP, socket in the state directory) and creates the database "shale".
void StateInstance::create() const
{
    const std::string data = state_dir_ + "/data";
    fs::create_directories(state_dir_);
    std::string password = new_password();
    {
        std::ofstream out(state_dir_ + "/password", std::ios::trunc);
        out << password << "\n";
    }
    chmod((state_dir_ + "/password").c_str(), 0600);
    // initdb reads the password from a file the server user can read; it is
    // removed right after
    std::string pwfile = state_dir_ + "/initdb.pw";
    {
        std::ofstream out(pwfile, std::ios::trunc);
        out << password << "\n";
    }
    chmod(pwfile.c_str(), 0600);
    chown_tree(state_dir_, *user_);
    chown(pwfile.c_str(), user_->uid, user_->gid);
    chown((state_dir_ + "/password").c_str(), getuid(), getgid());
    ProcessOptions options;
    options.run_as = user_;
    options.output_file = state_dir_ + "/setup.log";
    int status = run_process({postgres_bindir() + "/initdb", "-D", data, "-U", "shale", "--auth=scram-sha-256",
                              "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
                             options);
    unlink(pwfile.c_str());
    if (status != 0)
        throw std::runtime_error("initdb of the state instance failed; see " + state_dir_ + "/setup.log:\n" +
                                 tail_file(state_dir_ + "/setup.log", 10));
    sync();
    std::ofstream conf(data + "/postgresql.conf", std::ios::app);
    conf << "\n# shale serve: state instance, unix socket only\n"
         << "listen_addresses = ''\n"
         << "unix_socket_directories = '" << state_dir_ << "'\n"
         << "port = " << kSocketPort << "\n"
         << "max_connections = 40\n"
         << "shared_buffers = 32MB\n"
         << "password_encryption = 'scram-sha-256'\n"
         << "logging_collector = off\n";
}

void StateInstance::ensure_running() const
{
    if (!is_embedded())
        return;
    const std::string data = state_dir_ + "/data";
    if (!fs::exists(data + "/PG_VERSION")) {
        if (fs::exists(data))
            fs::remove_all(data);  // a half-made initdb from an interrupted first start
        create();
    }
    ProcessOptions options;
    options.run_as = user_;
    options.output_file = state_dir_ + "/setup.log";
    // pg_ctl status exits 0 when the server runs
    int status = run_process({postgres_bindir() + "/pg_ctl", "status", "-D", data}, options);
    if (status != 0)
        status = run_process(
            {postgres_bindir() + "/pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", state_dir_ + "/postgresql.log"},
            options);
    if (status != 0)
        throw std::runtime_error("the state instance did not start; see " + state_dir_ + "/postgresql.log:\n" +
                                 tail_file(state_dir_ + "/postgresql.log", 10));
    // the database "shale" holds the state (created once)
    std::string maintenance = conninfo();
    maintenance.replace(maintenance.find("dbname=shale"), 12, "dbname=postgres");
    PgConnection connection = PgConnection::connect(maintenance);
    if (!connection.ok())
        throw std::runtime_error("cannot connect to the state instance: " + connection.error_message());
    auto exists = connection.query_value("SELECT count(*) FROM pg_database WHERE datname = 'shale'");
    if (exists && *exists == "0") {
        PgResult created = connection.exec("CREATE DATABASE shale");
        if (!created.ok())
            throw std::runtime_error("cannot create the state database: " + created.error_message());
    }
}

void StateInstance::stop() const
{
    if (!is_embedded())
        return;
    ProcessOptions options;
    options.run_as = user_;
    options.output_file = state_dir_ + "/setup.log";
    run_process({postgres_bindir() + "/pg_ctl", "stop", "-m", "fast", "-w", "-D", state_dir_ + "/data"}, options);
}

}  // namespace shale
