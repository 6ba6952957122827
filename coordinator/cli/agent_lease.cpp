// agent_lease.cpp — lease renewals from shaled and self-fencing of a cut-off host.
#include "cli/agent_lease.h"

#include <fstream>
#include <future>

#include "http/agent_client.h"

namespace shale {

AgentLease::AgentLease(std::string state_file, std::string token, std::function<std::string()> fence_primaries,
                       Logger &logger)
    : state_file_(std::move(state_file)), token_(std::move(token)), fence_primaries_(std::move(fence_primaries)),
      logger_(logger)
{
    // A restarted agent keeps the lease it had: it counts from its own start,
    // so a restart during a partition still fences in time.
    std::ifstream in(state_file_);
    nlohmann::json saved = nlohmann::json::parse(in, nullptr, false);
    if (saved.is_object() && saved.value("lease_ms", 0LL) > 0) {
        armed_ = true;
        lease_ms_ = saved["lease_ms"].get<long long>();
        for (const auto &peer : saved.value("peers", nlohmann::json::array()))
            peers_.push_back({peer.value("endpoint", ""), peer.value("fingerprint", "")});
        renewed_at_ = std::chrono::steady_clock::now();
    }
}

AgentLease::~AgentLease()
{
    stop();
}

void AgentLease::renew(const nlohmann::json &request)
{
    long long lease_ms = request.value("lease_ms", 0LL);
    if (lease_ms < 500 || lease_ms > 600000)
        throw std::invalid_argument("lease_ms must be between 500 and 600000");
    std::vector<LeasePeer> peers;
    for (const auto &peer : request.value("peers", nlohmann::json::array()))
        peers.push_back({peer.value("endpoint", ""), peer.value("fingerprint", "")});
    std::lock_guard<std::mutex> guard(mutex_);
    bool changed = !armed_ || lease_ms != lease_ms_ || peers.size() != peers_.size();
    for (size_t index = 0; !changed && index < peers.size(); index++)
        changed = peers[index].endpoint != peers_[index].endpoint;
    armed_ = true;
    lease_ms_ = lease_ms;
    peers_ = peers;
    renewed_at_ = std::chrono::steady_clock::now();
    fenced_since_renewal_ = false;
    if (changed)
        save();
}

void AgentLease::save() const
{
    nlohmann::json document = {{"lease_ms", lease_ms_}, {"peers", nlohmann::json::array()}};
    for (const auto &peer : peers_)
        document["peers"].push_back({{"endpoint", peer.endpoint}, {"fingerprint", peer.fingerprint}});
    std::ofstream out(state_file_ + ".tmp");
    out << document.dump() << "\n";
    out.close();
    std::rename((state_file_ + ".tmp").c_str(), state_file_.c_str());
}

nlohmann::json AgentLease::status() const
{
    std::lock_guard<std::mutex> guard(mutex_);
    if (!armed_)
        return {{"armed", false}};
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - renewed_at_);
    return {{"armed", true},
            {"lease_ms", lease_ms_},
            {"age_ms", age.count()},
            {"expired", age.count() > lease_ms_},
            {"peers", peers_.size()},
            {"last_fence", last_fence_}};
}

bool AgentLease::majority_reachable(const std::vector<LeasePeer> &peers) const
{
    std::vector<std::future<bool>> answers;
    for (const auto &peer : peers)
        answers.push_back(std::async(std::launch::async, [this, peer]() {
            try {
                AgentClient(peer.endpoint, token_, peer.fingerprint).call("GET", "/v1/ping", nullptr, kPeerTimeout);
                return true;
            } catch (const std::exception &) {
                return false;
            }
        }));
    size_t reachable = 1;  // this host
    for (auto &answer : answers)
        reachable += answer.get() ? 1 : 0;
    return reachable * 2 > peers.size() + 1;
}

void AgentLease::watch()
{
    while (!stopping_) {
        std::this_thread::sleep_for(kWatchInterval);
        std::vector<LeasePeer> peers;
        long long age_ms = 0;
        {
            std::lock_guard<std::mutex> guard(mutex_);
            if (!armed_ || fenced_since_renewal_)
                continue;
            age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                           renewed_at_)
                         .count();
            if (age_ms <= lease_ms_)
                continue;
            peers = peers_;
        }
        if (majority_reachable(peers))
            continue;  // shaled is gone but this host is not cut off: nobody fails it over alone
        std::string done = fence_primaries_();
        std::lock_guard<std::mutex> guard(mutex_);
        fenced_since_renewal_ = true;
        last_fence_ = done;
        logger_.warn("lease expired " + std::to_string(age_ms) + " ms after the last renewal and no majority of " +
                     std::to_string(peers.size() + 1) + " hosts answers: fenced this host's primaries: " + done);
    }
}

void AgentLease::start()
{
    thread_ = std::thread([this]() { watch(); });
}

void AgentLease::stop()
{
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
}

}  // namespace shale
