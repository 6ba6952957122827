// agent_leases.cpp — lease renewals to every agent, in parallel, once a second.
#include "daemon/agent_leases.h"

#include <future>

#include "cli/agent_lease.h"
#include "http/agent_client.h"

namespace shale {

AgentLeases::AgentLeases(const ClusterLayout &layout, std::string token, const std::atomic<bool> &renew,
                         Logger &logger)
    : layout_(layout), token_(std::move(token)), renew_(renew), logger_(logger),
      acknowledged_(layout.hosts.size()), last_error_(layout.hosts.size())
{
}

AgentLeases::~AgentLeases()
{
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
}

void AgentLeases::start()
{
    thread_ = std::thread([this]() {
        while (!stopping_) {
            auto started = std::chrono::steady_clock::now();
            if (renew_)
                renew_all();
            auto next = started + std::chrono::milliseconds(1000);
            while (!stopping_ && std::chrono::steady_clock::now() < next)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
}

void AgentLeases::renew_all()
{
    {
        std::lock_guard<std::mutex> guard(mutex_);
        if (!first_attempt_)
            first_attempt_ = std::chrono::steady_clock::now();
    }
    std::vector<std::future<std::string>> results;
    for (size_t index = 0; index < layout_.hosts.size(); index++) {
        nlohmann::json request = lease_request(layout_.hosts, index, kLeaseMilliseconds);
        results.push_back(std::async(std::launch::async, [this, index, request]() -> std::string {
            try {
                const HostSpec &host = layout_.hosts[index];
                AgentClient(host.endpoint, token_, host.fingerprint)
                    .call("POST", "/v1/lease", request, std::chrono::milliseconds(900));
                // the agent received the renewal before this moment: its lease ends before now + lease_ms
                std::lock_guard<std::mutex> guard(mutex_);
                acknowledged_[index] = std::chrono::steady_clock::now();
                return "";
            } catch (const std::exception &error) {
                return error.what();
            }
        }));
    }
    for (size_t index = 0; index < results.size(); index++) {
        std::string error = results[index].get();
        std::lock_guard<std::mutex> guard(mutex_);
        if (error != last_error_[index] && !error.empty())
            logger_.warn("lease renewal of host " + layout_.hosts[index].endpoint + " failed: " + error);
        else if (error.empty() && !last_error_[index].empty())
            logger_.info("lease renewal of host " + layout_.hosts[index].endpoint + " works again");
        last_error_[index] = error;
    }
}

std::string AgentLeases::renewal_error(int host_index) const
{
    std::lock_guard<std::mutex> guard(mutex_);
    if (host_index < 0 || static_cast<size_t>(host_index) >= last_error_.size())
        return "";
    return last_error_[host_index];
}

std::optional<std::chrono::milliseconds> AgentLeases::fence_wait_left(int host_index) const
{
    std::lock_guard<std::mutex> guard(mutex_);
    if (host_index < 0 || static_cast<size_t>(host_index) >= acknowledged_.size())
        return std::nullopt;
    // An agent that never acknowledged this shaled's renewal was armed earlier
    // (by `shale up`, or an earlier shaled): its last renewal came before this
    // shaled's first attempt, so its lease ends before that attempt + lease_ms.
    auto since = acknowledged_[host_index] ? acknowledged_[host_index] : first_attempt_;
    if (!since)
        return std::nullopt;
    auto until = *since + std::chrono::milliseconds(kLeaseMilliseconds) + kFenceDeadline;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace shale
