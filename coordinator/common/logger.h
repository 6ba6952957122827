// logger.h — line logging for the daemon: "ISO-timestamp LEVEL message", to a
// file or to stderr, filtered by a minimum level. Thread-safe.
#pragma once

#include <fstream>
#include <mutex>
#include <optional>
#include <string>

namespace shale {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

// parse_log_level maps "debug", "info", "warn", "error" to a level.
std::optional<LogLevel> parse_log_level(const std::string &name);

class Logger {
public:
    // open_file appends to path from now on; returns false if it cannot be opened.
    bool open_file(const std::string &path);
    void set_level(LogLevel level) { level_ = level; }

    void log(LogLevel level, const std::string &message);
    void debug(const std::string &message) { log(LogLevel::debug, message); }
    void info(const std::string &message) { log(LogLevel::info, message); }
    void warn(const std::string &message) { log(LogLevel::warn, message); }
    void error(const std::string &message) { log(LogLevel::error, message); }

private:
    std::mutex mutex_;
    std::ofstream file_;
    LogLevel level_ = LogLevel::info;
};

}  // namespace shale
