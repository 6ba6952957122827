// port_allocator.cpp — free port detection by binding a test socket.
#include "cli/port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli_error.h"

namespace shale {

bool port_is_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    // PostgreSQL sets SO_REUSEADDR too, so a port in TIME_WAIT counts as free.
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = bind(fd, reinterpret_cast<struct sockaddr *>(&address), sizeof(address)) == 0;
    close(fd);
    return free;
}

std::vector<int> allocate_ports(int first, bool first_is_fixed, int count)
{
    std::vector<int> ports;
    int candidate = first;
    if (first_is_fixed) {
        if (!port_is_free(first))
            throw CliError("port " + std::to_string(first) + " on 127.0.0.1 is already in use");
        ports.push_back(first);
        candidate++;
    }
    for (; static_cast<int>(ports.size()) < count && candidate <= 65535; candidate++)
        if (port_is_free(candidate))
            ports.push_back(candidate);
    if (static_cast<int>(ports.size()) < count)
        throw CliError("not enough free TCP ports from " + std::to_string(first));
    return ports;
}

}  // namespace shale
