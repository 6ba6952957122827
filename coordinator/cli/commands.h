// commands.h — the subcommands of the shale CLI. Each returns the process exit
// code and throws CliError for failures.
#pragma once

#include <string>
#include <vector>

namespace shale {

struct UpOptions {
    std::string dir;  // absolute cluster directory
    int port = 5432;
    bool port_given = false;
    int workers = 2;
    bool workers_given = false;
    int replicas = 1;
    bool replicas_given = false;
    bool async = false;
    std::string tls_dir;  // empty: DIR/tls
    // ADDR:PORT of the agents of the hosts the cluster spreads over (empty: this machine only)
    std::vector<std::string> hosts;
    std::string agent_token_file;
};

int cluster_up(const UpOptions &options);
int cluster_down(const std::string &dir);
int cluster_status(const std::string &dir);
int cluster_uri(const std::string &dir);
// insights_command is `shale insights [advice | apply ID | dismiss ID]` (insights_command.cpp).
int insights_command(const std::vector<std::string> &arguments);

}  // namespace shale
