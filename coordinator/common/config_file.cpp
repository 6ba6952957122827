// config_file.cpp — parser for "key = value" configuration files.
#include "common/config_file.h"

#include <fstream>
#include <stdexcept>

namespace shale {

static std::string trim(const std::string &text)
{
    const char *space = " \t\r\n";
    size_t begin = text.find_first_not_of(space);
    if (begin == std::string::npos)
        return "";
    size_t end = text.find_last_not_of(space);
    return text.substr(begin, end - begin + 1);
}

std::map<std::string, std::string> read_config_file(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read configuration file " + path);
    std::map<std::string, std::string> values;
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
        line_number++;
        std::string content = trim(line);
        if (content.empty() || content[0] == '#')
            continue;
        size_t equals = content.find('=');
        if (equals == std::string::npos)
            throw std::runtime_error(path + ":" + std::to_string(line_number) + ": expected key = value");
        std::string key = trim(content.substr(0, equals));
        std::string value = trim(content.substr(equals + 1));
        // Allow an optionally quoted value.
        if (value.size() >= 2 && ((value.front() == '"' && value.back() == '"') ||
                                  (value.front() == '\'' && value.back() == '\'')))
            value = value.substr(1, value.size() - 2);
        values[key] = value;
    }
    return values;
}

}  // namespace shale
