// agent_command.h — `shale agent`: the process on every host of a cluster over
// several machines that owns that host's PostgreSQL instances (docs/multi-host.md).
#pragma once

#include <string>

namespace shale {

struct AgentOptions {
    std::string listen_address;  // IPv4 address; the nodes of this host listen there too
    int listen_port = 0;
    std::string dir;             // absolute: nodes, logs, TLS identity, lease state
    std::string token_file;      // the cluster's agent token (created when missing)
    std::string log_file;        // "" logs to stderr
};

// run_agent serves the agent API over HTTPS until SIGTERM or SIGINT. It starts
// and stops nothing by itself when it starts or ends: servers keep running
// across a restart of the agent.
int run_agent(const AgentOptions &options);

}  // namespace shale
