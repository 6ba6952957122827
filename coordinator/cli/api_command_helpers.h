// api_command_helpers.h — what the CLI's API commands share (api_commands.cpp,
// branch_commands.cpp): word and flag parsing, JSON output, finding a database
// by name, following an operation.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace shale {

// Arguments holds positional words and --flags (a flag in `valued` takes the next word).
struct Arguments {
    std::vector<std::string> words;
    std::map<std::string, std::string> flags;
    bool has(const std::string &flag) const { return flags.count(flag) > 0; }
    std::string get(const std::string &flag, const std::string &fallback = "") const
    {
        auto found = flags.find(flag);
        return found == flags.end() ? fallback : found->second;
    }
};

Arguments parse_arguments(const std::vector<std::string> &raw, const std::set<std::string> &valued,
                          const std::set<std::string> &switches, const std::string &usage);
void print_json(const nlohmann::json &document);
std::string text_or_dash(const nlohmann::json &value);
// find_database_by_name resolves a name (or an id) to the database's JSON.
nlohmann::json find_database_by_name(const ApiCredentials &credentials, const std::string &name);
// wait_for_operation follows an operation until it ends, printing each step
// as it starts (unless quiet); returns the final operation.
nlohmann::json wait_for_operation(const ApiCredentials &credentials, const std::string &id, bool quiet);

}  // namespace shale
