// rate_limiter.cpp — token bucket arithmetic.
#include "control_plane/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace shale {

bool RateLimiter::take(const std::string &key, int *retry_after_s)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    auto found = buckets_.find(key);
    if (found == buckets_.end()) {
        if (buckets_.size() > 100000)
            buckets_.clear();  // a flood of new keys must not grow memory without bound
        found = buckets_.emplace(key, Bucket{burst_, now}).first;
    }
    Bucket &bucket = found->second;
    double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.updated = now;
    if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return true;
    }
    *retry_after_s = std::max(1, static_cast<int>(std::ceil((1 - bucket.tokens) / per_second_)));
    return false;
}

}  // namespace shale
