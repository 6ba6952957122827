// http_target.h — splitting an HTTP request target into its path and its
// decoded query parameters; shared by shaled's API and the control plane.
#pragma once

#include <map>
#include <string>

namespace shale {

// ParsedTarget is a request target split into its path and decoded query parameters.
struct ParsedTarget {
    std::string path;
    std::map<std::string, std::string> query;
};

// parse_target splits "/a/b?x=1&y=%20" into path and parameters (percent and
// '+' decoding; a later repeat of a parameter wins).
ParsedTarget parse_target(const std::string &target);

// percent_decode decodes %XX and '+' (a malformed escape is kept as it is).
std::string percent_decode(const std::string &text);

}  // namespace shale
