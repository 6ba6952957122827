// agent_leases.h — shaled's side of the lease that keeps a cut-off host from
// acknowledging writes (agent_lease.h on the agent, docs/multi-host.md): a
// thread renews the lease on every agent of the cluster about once a second,
// and tells the failover how long a primary on an unreachable host may still
// run: until lease_ms + kFenceDeadline after its agent last acknowledged a
// renewal, the agent has not necessarily fenced it yet.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/cluster_layout.h"
#include "common/logger.h"

namespace shale {

// kLeaseMilliseconds is the lease given to agents: short enough that waiting it
// out (plus kFenceDeadline) ends before failover detection does (5 timed-out
// checks, about 6 s), long enough that a busy shaled renews it in time.
constexpr long long kLeaseMilliseconds = 3000;

class AgentLeases {
public:
    // renew: leases are renewed while it is true (set once this shaled was active)
    AgentLeases(const ClusterLayout &layout, std::string token, const std::atomic<bool> &renew, Logger &logger);
    ~AgentLeases();

    void start();
    // fence_wait_left is how long the agent of host_index may still let its
    // primaries run; nullopt before this shaled renewed any lease.
    std::optional<std::chrono::milliseconds> fence_wait_left(int host_index) const;

    // renewal_error is why the last renewal of host_index failed, "" when it worked.
    std::string renewal_error(int host_index) const;

private:
    void renew_all();

    ClusterLayout layout_;
    std::string token_;
    const std::atomic<bool> &renew_;
    Logger &logger_;
    mutable std::mutex mutex_;
    std::vector<std::optional<std::chrono::steady_clock::time_point>> acknowledged_;
    std::vector<std::string> last_error_;
    std::optional<std::chrono::steady_clock::time_point> first_attempt_;  // of renew_all
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace shale
