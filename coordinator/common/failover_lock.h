// failover_lock.h — a lock file in the cluster directory that shaled and
// `shale switchover` hold while they change which node of a group is primary, so
// a planned switchover and an automatic failover never act on a group at once.
// flock(2): released by the kernel when the holder exits, even by kill -9.
#pragma once

#include <string>

namespace shale {

class FailoverLock {
public:
    // FailoverLock opens DIR/failover.lock; it does not lock yet.
    explicit FailoverLock(const std::string &cluster_dir);
    ~FailoverLock();
    FailoverLock(const FailoverLock &) = delete;
    FailoverLock &operator=(const FailoverLock &) = delete;

    // try_lock takes the lock without waiting; false when another process has it.
    bool try_lock();
    // lock waits up to timeout_ms for the lock.
    bool lock(int timeout_ms);
    void unlock();

private:
    int fd_ = -1;
    bool held_ = false;
};

}  // namespace shale
