// agent_command.cpp — `shale agent`: TLS identity, token, the HTTPS server and
// the lease watchdog; runs until SIGTERM or SIGINT.
#include "cli/agent_command.h"

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/agent_routes.h"
#include "cli/cli_error.h"
#include "common/process.h"
#include "common/cluster_password.h"
#include "common/secrets.h"
#include "http/agent_client.h"
#include "http/tls_certificate.h"

namespace shale {

// agent_token reads the token file, or creates it with a new token (mode 0600).
static std::string agent_token(const std::string &path)
{
    struct stat info;
    if (stat(path.c_str(), &info) != 0) {
        std::string token = "shagent_" + random_hex(32);
        {
            std::ofstream out(path);
            out << token << "\n";
            if (!out)
                throw CliError("cannot write the agent token to " + path);
        }
        chmod(path.c_str(), 0600);
        std::cout << "shale agent: wrote a new agent token to " << path
                  << "; give the same file to the agents of the other hosts (--token-file) and to shale up "
                     "(--agent-token-file)"
                  << std::endl;
        return token;
    }
    try {
        return read_agent_token(path);
    } catch (const std::exception &error) {
        throw CliError(error.what());
    }
}

int run_agent(const AgentOptions &options)
{
    sigset_t signals = block_stop_signals();

    std::filesystem::create_directories(options.dir + "/tls");
    chmod(options.dir.c_str(), 0711);
    chmod((options.dir + "/tls").c_str(), 0700);
    const std::string token = agent_token(options.token_file);
    const std::string certificate = options.dir + "/tls/agent.crt";
    const std::string key = options.dir + "/tls/agent.key";
    ensure_self_signed_certificate(certificate, key, options.listen_address);
    // the superuser's password of the nodes, for this process's libpq and for
    // the tools and servers it starts (pg_basebackup, pg_rewind, walreceivers)
    use_password_file(cluster_password_file(options.dir));

    Logger logger;
    if (!options.log_file.empty() && !logger.open_file(options.log_file))
        throw CliError("cannot open the log file " + options.log_file);
    AgentRoutes routes(options.dir, options.listen_address, token, logger);

    HttpServerOptions server_options;
    server_options.port = options.listen_port;
    server_options.bind_address = options.listen_address;
    server_options.server_name = "shale-agent";
    server_options.max_body_bytes = 64 * 1024;
    server_options.retry_listen = false;
    // a clone or a rewind takes a while; leases, fences and status are answered meanwhile
    server_options.threads = 4;
    server_options.tls_certificate_file = certificate;
    server_options.tls_key_file = key;
    HttpServer server(server_options, [&routes](const HttpRequest &request) { return routes.handle(request); },
                      logger);
    try {
        server.start();
    } catch (const std::exception &error) {
        throw CliError(error.what());
    }
    routes.lease().start();
    logger.info("shale agent on https://" + options.listen_address + ":" + std::to_string(options.listen_port) +
                ", directory " + options.dir + ", certificate SHA-256 " + certificate_file_fingerprint(certificate));
    int received = 0;
    sigwait(&signals, &received);
    logger.info("shale agent stopping (signal " + std::to_string(received) + "); the nodes keep running");
    routes.lease().stop();
    server.stop();
    return 0;
}

}  // namespace shale
