// logger.cpp — implementation of the daemon's line logger.
#include "common/logger.h"

#include <chrono>
#include <ctime>
#include <iostream>

namespace shale {

std::optional<LogLevel> parse_log_level(const std::string &name)
{
    if (name == "debug")
        return LogLevel::debug;
    if (name == "info")
        return LogLevel::info;
    if (name == "warn" || name == "warning")
        return LogLevel::warn;
    if (name == "error")
        return LogLevel::error;
    return std::nullopt;
}

static const char *level_name(LogLevel level)
{
    switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warn: return "WARN";
    case LogLevel::error: return "ERROR";
    }
    return "?";
}

// iso_timestamp formats now as e.g. 2024-05-01T12:34:56.789Z (UTC).
static std::string iso_timestamp()
{
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    long millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc;
    gmtime_r(&seconds, &utc);
    char buffer[40];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
    char result[64];
    std::snprintf(result, sizeof(result), "%s.%03ldZ", buffer, millis);
    return result;
}

bool Logger::open_file(const std::string &path)
{
    std::lock_guard<std::mutex> guard(mutex_);
    file_.open(path, std::ios::app);
    return file_.is_open();
}

void Logger::log(LogLevel level, const std::string &message)
{
    if (level < level_)
        return;
    // One event per line: fold the multi-line messages libpq returns.
    std::string line;
    for (size_t index = 0; index < message.size(); index++) {
        char c = message[index];
        if (c == '\n') {
            while (index + 1 < message.size() && message[index + 1] == ' ')
                index++;
            if (index + 1 < message.size())
                line += " | ";
        } else {
            line += c;
        }
    }
    std::lock_guard<std::mutex> guard(mutex_);
    std::ostream &out = file_.is_open() ? static_cast<std::ostream &>(file_) : std::cerr;
    out << iso_timestamp() << " " << level_name(level) << " " << line << std::endl;
}

}  // namespace shale
