// config_file.h — reading simple "key = value" configuration files (comments
// start with #), as used by shaled.conf.
#pragma once

#include <map>
#include <string>

namespace shale {

// read_config_file returns the key/value pairs of path; throws when the file cannot
// be read or a line is not "key = value".
std::map<std::string, std::string> read_config_file(const std::string &path);

}  // namespace shale
