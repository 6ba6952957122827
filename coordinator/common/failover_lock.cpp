// failover_lock.cpp — flock on DIR/failover.lock.
#include "common/failover_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace shale {

FailoverLock::FailoverLock(const std::string &cluster_dir)
{
    fd_ = open((cluster_dir + "/failover.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

FailoverLock::~FailoverLock()
{
    unlock();
    if (fd_ >= 0)
        close(fd_);
}

bool FailoverLock::try_lock()
{
    if (held_)
        return true;
    // Without a lock file (no cluster directory) there is nobody to exclude.
    if (fd_ < 0)
        return held_ = true;
    held_ = flock(fd_, LOCK_EX | LOCK_NB) == 0;
    return held_;
}

bool FailoverLock::lock(int timeout_ms)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!try_lock()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
}

void FailoverLock::unlock()
{
    if (held_ && fd_ >= 0)
        flock(fd_, LOCK_UN);
    held_ = false;
}

}  // namespace shale
