// rate_limiter.h — token buckets keyed by a string (a token id, or a client
// address for failed sign-ins), for the 429 answers of the /v1 API.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace shale {

class RateLimiter {
public:
    RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

    // take spends one request from key's bucket; false when it is empty, with
    // the seconds until the next request is allowed in *retry_after_s.
    bool take(const std::string &key, int *retry_after_s);

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point updated;
    };
    double per_second_;
    double burst_;
    std::mutex mutex_;
    std::map<std::string, Bucket> buckets_;
};

}  // namespace shale
