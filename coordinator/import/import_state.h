// import_state.h — the state directory of one import (--dir): import.json (what
// was created where, the phase, the plan; written by whoever holds the lock),
// status.json (progress written by the running process, read by `shale import
// status`), and the lock that keeps two processes from applying changes at once.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace shale::import {

// Phases: "starting" (checks passed, objects being created), "copying",
// "following" (streaming changes), "cutting_over", "done", "aborted".
struct ImportState {
    std::string dir;
    nlohmann::json data = nlohmann::json::object();

    std::string phase() const { return data.value("phase", ""); }
    std::string source_uri() const { return data.value("source_uri", ""); }
    std::string target_uri() const { return data.value("target_uri", ""); }
    std::string slot() const { return data.value("slot", ""); }
    std::string publication() const { return data.value("publication", ""); }

    // set_phase records a new phase and saves.
    void set_phase(const std::string &phase);
    // record appends value to the array data[list] (e.g. "created_tables") and saves.
    void record(const std::string &list, const nlohmann::json &value);
    // save writes import.json atomically (mode 0600: it holds connection URIs).
    void save() const;
};

// state_exists says whether dir holds an import.
bool state_exists(const std::string &dir);
// load_state reads dir/import.json; throws CliError when it is missing or broken.
ImportState load_state(const std::string &dir);

// ImportLock is an exclusive flock on dir/lock, held while a process creates,
// copies, applies changes, cuts over or aborts. It records the holder's pid.
class ImportLock {
public:
    ImportLock() = default;
    ImportLock(ImportLock &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    ImportLock &operator=(ImportLock &&other) noexcept;
    ~ImportLock();
    bool held() const { return fd_ >= 0; }

    // try_acquire takes the lock if nobody holds it.
    static ImportLock try_acquire(const std::string &dir);
    // acquire_stopping_holder asks the process holding the lock to stop (SIGTERM)
    // and waits up to timeout_s for the lock; throws CliError when it stays held.
    static ImportLock acquire_stopping_holder(const std::string &dir, int timeout_s);

private:
    int fd_ = -1;
};

// write_status replaces dir/status.json (progress of the running process).
void write_status(const std::string &dir, const nlohmann::json &status);
// read_status reads dir/status.json, an empty object when there is none.
nlohmann::json read_status(const std::string &dir);

}  // namespace shale::import
