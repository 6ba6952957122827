// serve_command.cpp — `shale serve`: takes DIR/serve.lock (one serve per
// directory), starts or reaches the state database, migrates its schema,
// creates the first organization and admin token on the first start, recovers
// interrupted operations, then serves /v1 until SIGTERM or SIGINT.
#include "control_plane/serve_command.h"

#include "common/process.h"
#include "common/tls_authority.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/cli_error.h"
#include "common/logger.h"
#include "common/os_user.h"
#include "control_plane/api_error.h"
#include "control_plane/control_plane_api.h"
#include "control_plane/operation_runner.h"
#include "control_plane/plans.h"
#include "common/secrets.h"
#include "control_plane/state_instance.h"
#include "control_plane/storage_monitor.h"
#include "control_plane/state_schema.h"
#include "control_plane/state_store.h"
#include "http/http_server.h"

namespace shale {

namespace fs = std::filesystem;

namespace {

// lock_serve_dir holds an exclusive flock on DIR/serve.lock for the process's
// life; a second `shale serve` on the same directory stops with an error.
int lock_serve_dir(const std::string &dir)
{
    int fd = open((dir + "/serve.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
        throw CliError("another shale serve runs on " + dir + " (" + dir + "/serve.lock is locked)");
    return fd;
}

// bootstrap creates the operator organization and its first admin token when
// the state holds no organization yet; returns the token ("" when not new).
std::string bootstrap(StateStore &store)
{
    store.exec("BEGIN");
    store.exec("LOCK control.organizations IN EXCLUSIVE MODE");
    if (*store.value("SELECT count(*) FROM control.organizations") != "0") {
        store.exec("COMMIT");
        return "";
    }
    std::string organization = new_id("org");
    std::string token = new_api_token();
    std::string token_id = new_id("tok");
    store.exec("INSERT INTO control.organizations (id, name, operator) VALUES ($1, 'default', true)", {organization});
    store.exec("INSERT INTO control.tokens (id, organization_id, name, scope, token_hash, prefix) VALUES "
               "($1, $2, 'first admin token', 'admin', $3, $4)",
               {token_id, organization, sha256_hex(token), token.substr(0, 12)});
    store.exec("INSERT INTO control.audit_log (organization_id, action, target_type, target_id, details) VALUES "
               "($1, 'organization.create', 'organization', $1, '{\"by\": \"first start of shale serve\"}')",
               {organization});
    store.exec("COMMIT");
    return token;
}

}  // namespace

int run_serve(ServeOptions options)
{
    ServeConfig &config = options.config;
    fs::create_directories(config.dir);
    fs::create_directories(config.databases_dir());
    chmod(config.dir.c_str(), 0711);
    int lock_fd = lock_serve_dir(config.dir);

    Logger logger;
    if (!options.log_file.empty() && !logger.open_file(options.log_file))
        throw CliError("cannot open the log file " + options.log_file);

    // signals are taken by sigwait below, on this thread only
    sigset_t signals = block_stop_signals();

    OsUser user = server_user();
    // made once here, before any creation, so that parallel `shale up`s all find it
    ensure_certificate_authority(config.tls_dir(), user);
    StateInstance state = config.state_uri.empty() ? StateInstance::embedded(config.dir + "/state", user)
                                                   : StateInstance::external(config.state_uri);
    if (state.is_embedded()) {
        for (const auto &parent : make_parents_traversable(config.dir, user))
            logger.info("added o+x to " + parent + " so that user " + user.name + " can reach " + config.dir);
        state.ensure_running();
    }
    StateStore store(state.conninfo());
    int version = migrate_state_schema(store.connection());
    logger.info("state database ready (schema version " + std::to_string(version) + ")");
    for (const auto &plan : all_plans())
        store.exec("INSERT INTO control.plans (name, storage_gb) VALUES ($1, NULLIF($2, '')::int) ON CONFLICT (name) "
                   "DO UPDATE SET storage_gb = EXCLUDED.storage_gb",
                   {plan.name, plan.storage_gb ? std::to_string(*plan.storage_gb) : ""});
    std::string token = bootstrap(store);

    OperationRunner runner(config, state.conninfo(), logger);
    runner.recover();
    runner.restart_stopped_databases();
    ControlPlaneApi api(config, state.conninfo(), runner);
    HttpServerOptions http;
    http.port = config.port;
    http.bind_address = config.bind_address;
    http.server_name = "shale-serve";
    http.max_body_bytes = 64 * 1024;
    http.retry_listen = false;
    http.threads = 4;  // a request waiting for a database does not hold up the others
    http.error_body = [](int status, const std::string &message) {
        return api_error_body(status, code_for_status(status), message);
    };
    HttpServer server(http, [&api](const HttpRequest &request) { return api.handle(request); }, logger);
    server.start();
    runner.start();
    StorageMonitor storage(state.conninfo(), logger, std::chrono::seconds(config.storage_interval_s));
    storage.start();

    std::string address = "http://" + config.bind_address + ":" + std::to_string(config.port);
    std::cout << "shale serve: API on " << address << "/v1 (state: "
              << (state.is_embedded() ? "embedded in " + config.dir + "/state" : "external") << ")" << std::endl;
    if (!token.empty()) {
        std::cout << "shale serve: first start: organization \"default\" created; its admin token, shown only "
                     "once:\n"
                  << token << std::endl;
        if (!options.token_file.empty()) {
            std::ofstream out(options.token_file, std::ios::trunc);
            out << token << "\n";
            chmod(options.token_file.c_str(), 0600);
        }
    }

    int received = 0;
    sigwait(&signals, &received);
    logger.info(std::string("shale serve: stopping (") + (received == SIGINT ? "SIGINT" : "SIGTERM") + ")");
    server.stop();
    storage.stop();
    runner.stop();
    state.stop();  // the databases' own clusters keep running; `shale serve` starts again over them
    close(lock_fd);
    // operation threads still waiting for a child were detached (the next
    // start recovers their operations); end without running static destructors
    // under them
    std::cout.flush();
    std::_Exit(0);
}

}  // namespace shale
