// import_state.cpp — import.json, status.json and the lock of a state directory.
#include "import/import_state.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/cli_error.h"

namespace shale::import {

namespace {

// write_file_atomically writes text to path through a temporary file and a rename.
void write_file_atomically(const std::string &path, const std::string &text)
{
    std::string temporary = path + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        throw CliError("cannot write " + temporary);
    size_t written = 0;
    while (written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            ::close(fd);
            throw CliError("cannot write " + temporary);
        }
        written += static_cast<size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0)
        throw CliError("cannot rename " + temporary + " to " + path);
}

}  // namespace

void ImportState::set_phase(const std::string &phase)
{
    data["phase"] = phase;
    save();
}

void ImportState::record(const std::string &list, const nlohmann::json &value)
{
    if (!data.contains(list))
        data[list] = nlohmann::json::array();
    data[list].push_back(value);
    save();
}

void ImportState::save() const
{
    std::filesystem::create_directories(dir);
    write_file_atomically(dir + "/import.json", data.dump(2) + "\n");
}

bool state_exists(const std::string &dir)
{
    return std::filesystem::exists(dir + "/import.json");
}

ImportState load_state(const std::string &dir)
{
    std::ifstream file(dir + "/import.json");
    if (!file)
        throw CliError("no import in " + dir + " (no import.json)\nhint: start one with shale import start "
                       "SOURCE_URI --to SHALE_URI --dir " + dir);
    ImportState state;
    state.dir = dir;
    try {
        state.data = nlohmann::json::parse(file);
    } catch (const nlohmann::json::exception &error) {
        throw CliError(dir + "/import.json is damaged: " + error.what());
    }
    return state;
}

ImportLock &ImportLock::operator=(ImportLock &&other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

ImportLock::~ImportLock()
{
    if (fd_ >= 0)
        ::close(fd_);
}

ImportLock ImportLock::try_acquire(const std::string &dir)
{
    std::filesystem::create_directories(dir);
    ImportLock lock;
    int fd = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT, 0600);
    if (fd < 0)
        throw CliError("cannot open " + dir + "/lock");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return lock;
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        ::close(fd);
        throw CliError("cannot write " + dir + "/lock");
    }
    lock.fd_ = fd;
    return lock;
}

ImportLock ImportLock::acquire_stopping_holder(const std::string &dir, int timeout_s)
{
    ImportLock lock = try_acquire(dir);
    if (lock.held())
        return lock;
    std::ifstream file(dir + "/lock");
    long pid = 0;
    file >> pid;
    if (pid > 1)
        ::kill(static_cast<pid_t>(pid), SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
        lock = try_acquire(dir);
        if (lock.held())
            return lock;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw CliError("the import process " + std::to_string(pid) + " still holds " + dir +
                   "/lock after " + std::to_string(timeout_s) + " s\nhint: wait for it, or stop it (kill " +
                   std::to_string(pid) + ") and try again");
}

void write_status(const std::string &dir, const nlohmann::json &status)
{
    write_file_atomically(dir + "/status.json", status.dump(2) + "\n");
}

nlohmann::json read_status(const std::string &dir)
{
    std::ifstream file(dir + "/status.json");
    if (!file)
        return nlohmann::json::object();
    try {
        return nlohmann::json::parse(file);
    } catch (const nlohmann::json::exception &) {
        return nlohmann::json::object();
    }
}

}  // namespace shale::import
