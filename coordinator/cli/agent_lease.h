// agent_lease.h — the agent's side of split-brain protection
// (docs/multi-host.md "Partitions"). The active shaled renews a lease on every
// agent about once a second. When the lease runs out (no renewal for lease_ms)
// and this agent cannot reach a majority of the cluster's hosts either (itself
// counted), its host is cut off: it fences every primary it runs (immediate
// stop, standby.signal), so an isolated old primary acknowledges nothing after
// lease_ms + kFenceDeadline. shaled promotes a replica of such a primary only
// after that bound has passed since its last acknowledged renewal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/logger.h"

namespace shale {

// kFenceDeadline bounds what follows an expired lease: the watchdog notices
// within kWatchInterval, probes the peers for at most kPeerTimeout, then stops
// its primaries (SIGQUIT, then SIGKILL). shaled waits lease_ms plus this.
constexpr std::chrono::milliseconds kWatchInterval{200};
constexpr std::chrono::milliseconds kPeerTimeout{800};
constexpr std::chrono::milliseconds kFenceDeadline{2500};

struct LeasePeer {
    std::string endpoint;
    std::string fingerprint;
};

// lease_request is the body of POST /v1/lease for the agent of hosts[index]:
// the lease and every other host (its peers for the majority check).
template <typename Hosts>
nlohmann::json lease_request(const Hosts &hosts, size_t index, long long lease_ms)
{
    nlohmann::json peers = nlohmann::json::array();
    for (size_t other = 0; other < hosts.size(); other++)
        if (other != index)
            peers.push_back({{"endpoint", hosts[other].endpoint}, {"fingerprint", hosts[other].fingerprint}});
    return {{"lease_ms", lease_ms}, {"peers", peers}};
}

class AgentLease {
public:
    // fence_primaries stops every primary of this host and says what it did;
    // state_file keeps the lease over a restart of the agent.
    AgentLease(std::string state_file, std::string token, std::function<std::string()> fence_primaries,
               Logger &logger);
    ~AgentLease();

    // renew records a renewal from shaled: {"lease_ms": N, "peers": [{"endpoint", "fingerprint"}]}.
    void renew(const nlohmann::json &request);
    // status describes the lease for GET /v1/status.
    nlohmann::json status() const;
    void start();
    void stop();

private:
    // watch runs every kWatchInterval until stopped.
    void watch();
    // majority_reachable probes every peer in parallel.
    bool majority_reachable(const std::vector<LeasePeer> &peers) const;
    void save() const;

    std::string state_file_;
    std::string token_;
    std::function<std::string()> fence_primaries_;
    Logger &logger_;
    mutable std::mutex mutex_;
    bool armed_ = false;
    long long lease_ms_ = 0;
    std::vector<LeasePeer> peers_;
    std::chrono::steady_clock::time_point renewed_at_;
    bool fenced_since_renewal_ = false;
    std::string last_fence_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace shale
