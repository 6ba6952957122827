// port_allocator.h — choosing free TCP ports on 127.0.0.1 for the cluster's nodes.
#pragma once

#include <vector>

namespace shale {

// port_is_free tells whether a server could listen on 127.0.0.1:port now.
bool port_is_free(int port);

// allocate_ports returns `count` free ports: the first one is `first` when
// first_is_fixed (it must be free), else the first free port from `first`; the
// others are the next free ports after it.
std::vector<int> allocate_ports(int first, bool first_is_fixed, int count);

}  // namespace shale
