// api_commands.cpp — `shale db|role|token|login`: argument parsing, calls to
// the /v1 API, waiting for operations, and output for people or (--json) scripts.
#include "cli/api_commands.h"

#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "cli/api_client.h"
#include "cli/api_command_helpers.h"
#include "cli/cli_error.h"
#include "cli/node_control.h"
#include "common/secrets.h"
#include "common/server_control.h"

namespace shale {

using nlohmann::json;

Arguments parse_arguments(const std::vector<std::string> &raw, const std::set<std::string> &valued,
                          const std::set<std::string> &switches, const std::string &usage)
{
    Arguments parsed;
    for (size_t index = 0; index < raw.size(); index++) {
        const std::string &word = raw[index];
        if (word.rfind("--", 0) != 0) {
            parsed.words.push_back(word);
        } else if (valued.count(word)) {
            if (index + 1 >= raw.size())
                throw CliError(word + " needs a value\n" + usage, kExitUsage);
            parsed.flags[word] = raw[++index];
        } else if (switches.count(word) || word == "--json") {
            parsed.flags[word] = "true";
        } else {
            throw CliError("unknown option " + word + "\n" + usage, kExitUsage);
        }
    }
    return parsed;
}

int parse_count(const std::string &flag, const std::string &text, int low, int high)
{
    bool digits = !text.empty() && text.size() < 9 && text.find_first_not_of("0123456789") == std::string::npos;
    int value = digits ? std::stoi(text) : -1;
    if (value < low || value > high)
        throw CliError(flag + " takes a whole number from " + std::to_string(low) + " to " + std::to_string(high),
                       kExitUsage);
    return value;
}

void print_json(const json &document)
{
    std::cout << document.dump(2) << std::endl;
}

std::string text_or_dash(const json &value)
{
    return value.is_string() ? value.get<std::string>() : value.is_null() ? "-" : value.dump();
}

// find_database_by_name resolves a name (or an id) to the database's JSON.
json find_database_by_name(const ApiCredentials &credentials, const std::string &name)
{
    json list = api_request(credentials, "GET", "/v1/databases?include_deleted=true").body["databases"];
    for (const auto &database : list)
        if (database["name"] == name || database["id"] == name)
            return database;
    throw CliError("no database called \"" + name + "\"", kExitNotFound);
}

// wait_for_operation follows an operation until it ends, printing each step
// as it starts (unless quiet); returns the final operation.
json wait_for_operation(const ApiCredentials &credentials, const std::string &id, bool quiet)
{
    std::set<std::string> shown;
    for (;;) {
        json operation = api_request(credentials, "GET", "/v1/operations/" + id).body["operation"];
        for (const auto &step : operation["steps"]) {
            std::string key = step["name"].get<std::string>() + "/" + step["state"].get<std::string>();
            if (!quiet && step["state"] != "pending" && !shown.count(key)) {
                std::cerr << "shale: " << step["name"].get<std::string>() << ": " << step["state"].get<std::string>()
                          << std::endl;
                shown.insert(key);
            }
        }
        if (operation["state"] == "succeeded" || operation["state"] == "failed")
            return operation;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

namespace {

const char *kDbUsage =
    "Usage:\n"
    "  shale db create NAME [--template T] [--plan P] [--workers N] [--replicas R] [--no-wait] [--json]\n"
    "  shale db list [--json]\n"
    "  shale db show NAME [--json]\n"
    "  shale db connect NAME     (opens psql on the database; as its superuser on the machine\n"
    "                            that runs shale serve: SHALE_SERVE_DIR, default ./.shale-serve)\n"
    "  shale db delete NAME [--no-wait] [--json]\n"
    "  shale db undelete NAME [--no-wait] [--json]\n"
    "  shale db restore NAME NEW_NAME --to RESTORE_POINT_OR_UTC_TIME [--replicas R] [--no-wait] [--json]\n"
    "  shale db backup NAME [--json]              (waits for it)\n"
    "  shale db restore-point NAME [--name POINT] [--json]   (prints the point's name)";

// finish_operation waits (unless --no-wait), then prints the database and
// returns 0, or 1 when the operation failed.
int finish_operation(const ApiCredentials &credentials, const Arguments &arguments, const json &started)
{
    std::string operation_id = started["operation"]["id"];
    json operation = started["operation"];
    if (!arguments.has("--no-wait"))
        operation = wait_for_operation(credentials, operation_id, arguments.has("--json"));
    json database =
        api_request(credentials, "GET", "/v1/databases/" + started["database"]["id"].get<std::string>()).body["database"];
    if (arguments.has("--json")) {
        print_json({{"database", database}, {"operation", operation}});
    } else {
        std::cout << "database " << database["name"].get<std::string>() << " (" << database["id"].get<std::string>()
                  << "): " << database["state"].get<std::string>() << std::endl;
        if (operation["state"] == "failed")
            std::cout << "error: " << text_or_dash(operation["error"]) << std::endl;
        else if (database["state"] == "ready" && database["uri"].is_string())
            std::cout << database["uri"].get<std::string>() << std::endl;
    }
    return operation["state"] == "failed" ? kExitFailure : kExitOk;
}

}  // namespace

int db_command(const std::vector<std::string> &raw)
{
    Arguments arguments =
        parse_arguments(raw, {"--template", "--plan", "--workers", "--replicas", "--to", "--name"}, {"--no-wait"},
                        kDbUsage);
    if (arguments.words.empty())
        throw CliError(kDbUsage, kExitUsage);
    const std::string action = arguments.words[0];
    auto need_name = [&]() -> std::string {
        if (arguments.words.size() != 2)
            throw CliError(std::string("shale db ") + action + " needs one database NAME\n" + kDbUsage, kExitUsage);
        return arguments.words[1];
    };
    if (action == "create") {
        std::string name = need_name();
        json body{{"name", name}};
        if (arguments.has("--template"))
            body["template"] = arguments.get("--template");
        if (arguments.has("--plan"))
            body["plan"] = arguments.get("--plan");
        if (arguments.has("--workers"))
            body["worker_groups"] = parse_count("--workers", arguments.get("--workers"), 1, 64);
        if (arguments.has("--replicas"))
            body["replicas"] = parse_count("--replicas", arguments.get("--replicas"), 0, 2);
        ApiCredentials credentials = load_credentials();
        // one key per invocation: a retried request inside it never makes two databases
        json started = api_request(credentials, "POST", "/v1/databases", body, "cli-" + random_hex(16)).body;
        return finish_operation(credentials, arguments, started);
    }
    ApiCredentials credentials = load_credentials();
    if (action == "list") {
        json databases = api_request(credentials, "GET", "/v1/databases").body;
        if (arguments.has("--json")) {
            print_json(databases);
            return kExitOk;
        }
        std::cout << std::left << std::setw(24) << "NAME" << std::setw(12) << "STATE" << std::setw(12) << "PLAN"
                  << std::setw(12) << "TEMPLATE" << std::setw(8) << "GROUPS" << "ID" << "\n";
        for (const auto &database : databases["databases"])
            std::cout << std::left << std::setw(24) << database["name"].get<std::string>() << std::setw(12)
                      << database["state"].get<std::string>() << std::setw(12) << database["plan"].get<std::string>()
                      << std::setw(12) << database["template"].get<std::string>() << std::setw(8)
                      << database["worker_groups"].get<int>() << database["id"].get<std::string>() << "\n";
        return kExitOk;
    }
    if (action == "restore") {
        if (arguments.words.size() != 3 || !arguments.has("--to"))
            throw CliError(std::string("shale db restore needs NAME NEW_NAME --to POINT\n") + kDbUsage, kExitUsage);
        json source = find_database_by_name(credentials, arguments.words[1]);
        json body{{"name", arguments.words[2]}, {"to", arguments.get("--to")}};
        if (arguments.has("--replicas"))
            body["replicas"] = parse_count("--replicas", arguments.get("--replicas"), 0, 2);
        json started = api_request(credentials, "POST", "/v1/databases/" + source["id"].get<std::string>() + "/restore",
                                   body, "cli-" + random_hex(16))
                           .body;
        return finish_operation(credentials, arguments, started);
    }
    json database = find_database_by_name(credentials, need_name());
    const std::string id = database["id"];
    if (action == "show") {
        if (arguments.has("--json")) {
            print_json({{"database", database}});
            return kExitOk;
        }
        for (const auto &key : {"id", "name", "state", "plan", "template", "worker_groups", "replicas", "created_at",
                                "deleted_at", "purge_after", "error", "uri"})
            std::cout << std::left << std::setw(15) << (std::string(key) + ":") << text_or_dash(database[key]) << "\n";
        return kExitOk;
    }
    if (action == "connect") {
        if (database["state"] != "ready" || !database["uri"].is_string())
            throw CliError("the database is " + database["state"].get<std::string>() + "; it has no URI to connect to");
        std::string psql = postgres_bindir() + "/psql";
        std::string uri = database["uri"];
        // on the machine that runs shale serve, the superuser's password is in the database's
        // password file (SHALE_SERVE_DIR, ./.shale-serve by default, as make up uses)
        const char *serve_dir = getenv("SHALE_SERVE_DIR");
        std::string password_file = std::string(serve_dir != nullptr ? serve_dir : "./.shale-serve") +
                                    "/databases/" + id + "/pgpass";
        if (access(password_file.c_str(), R_OK) == 0)
            setenv("PGPASSFILE", password_file.c_str(), 1);
        execl(psql.c_str(), "psql", uri.c_str(), static_cast<char *>(nullptr));
        throw CliError("cannot run " + psql);
    }
    if (action == "delete")
        return finish_operation(credentials, arguments, api_request(credentials, "DELETE", "/v1/databases/" + id).body);
    if (action == "undelete")
        return finish_operation(credentials, arguments,
                                api_request(credentials, "POST", "/v1/databases/" + id + "/undelete", json::object(),
                                            "cli-" + random_hex(16))
                                    .body);
    if (action == "backup" || action == "restore-point") {
        json body = json::object();
        if (action == "restore-point" && arguments.has("--name"))
            body["name"] = arguments.get("--name");
        std::string target = "/v1/databases/" + id + (action == "backup" ? "/backups" : "/restore-points");
        json started = api_request(credentials, "POST", target, body, "cli-" + random_hex(16)).body;
        json operation = wait_for_operation(credentials, started["operation"]["id"], arguments.has("--json"));
        if (arguments.has("--json"))
            print_json({{"operation", operation}});
        else if (operation["state"] == "failed")
            std::cout << "error: " << text_or_dash(operation["error"]) << std::endl;
        else
            std::cout << (action == "backup" ? std::string("backup done")
                                             : operation["args"].value("name", std::string("")))
                      << std::endl;
        return operation["state"] == "failed" ? kExitFailure : kExitOk;
    }
    throw CliError("unknown db action \"" + action + "\"\n" + kDbUsage, kExitUsage);
}

int role_command(const std::vector<std::string> &raw)
{
    const char *usage =
        "Usage:\n  shale role create DATABASE ROLE [--json]\n  shale role reset DATABASE ROLE [--json]\n"
        "  shale role delete DATABASE ROLE\n  shale role list DATABASE [--json]";
    Arguments arguments = parse_arguments(raw, {}, {}, usage);
    if (arguments.words.size() < 2)
        throw CliError(usage, kExitUsage);
    const std::string action = arguments.words[0];
    if ((action == "list") != (arguments.words.size() == 2) || arguments.words.size() > 3)
        throw CliError(usage, kExitUsage);
    ApiCredentials credentials = load_credentials();
    std::string id = find_database_by_name(credentials, arguments.words[1])["id"];
    std::string base = "/v1/databases/" + id + "/roles";
    json answer;
    if (action == "list")
        answer = api_request(credentials, "GET", base).body;
    else if (action == "create")
        answer = api_request(credentials, "POST", base, {{"name", arguments.words[2]}}, "cli-" + random_hex(16)).body;
    else if (action == "reset")
        answer = api_request(credentials, "POST", base + "/" + arguments.words[2] + "/reset-password", json::object(),
                             "cli-" + random_hex(16))
                     .body;
    else if (action == "delete")
        answer = api_request(credentials, "DELETE", base + "/" + arguments.words[2]).body;
    else
        throw CliError(std::string("unknown role action \"") + action + "\"\n" + usage, kExitUsage);
    if (arguments.has("--json")) {
        print_json(answer.is_null() ? json::object() : answer);
    } else if (action == "list") {
        for (const auto &role : answer["roles"])
            std::cout << role["name"].get<std::string>() << "  " << text_or_dash(role["connection_uri"]) << "\n";
    } else if (action == "delete") {
        std::cout << "role " << arguments.words[2] << " deleted" << std::endl;
    } else {
        std::cout << "password (shown only once): " << answer["password"].get<std::string>() << "\n"
                  << answer["connection_uri"].get<std::string>() << std::endl;
    }
    return kExitOk;
}

int token_command(const std::vector<std::string> &raw)
{
    const char *usage = "Usage:\n  shale token create NAME [--scope admin|write|read] [--expires-in SECONDS] [--json]\n"
                        "  shale token list [--json]\n  shale token revoke TOKEN_ID [--json]";
    Arguments arguments = parse_arguments(raw, {"--scope", "--expires-in"}, {}, usage);
    if (arguments.words.empty())
        throw CliError(usage, kExitUsage);
    const std::string action = arguments.words[0];
    if ((action == "list") != (arguments.words.size() == 1) || arguments.words.size() > 2)
        throw CliError(usage, kExitUsage);
    ApiCredentials credentials = load_credentials();
    json answer;
    if (action == "create") {
        json body{{"name", arguments.words[1]}, {"scope", arguments.get("--scope", "write")}};
        if (arguments.has("--expires-in"))
            body["expires_in_seconds"] = parse_count("--expires-in", arguments.get("--expires-in"), 1, 34560000);
        answer = api_request(credentials, "POST", "/v1/tokens", body, "cli-" + random_hex(16)).body;
    } else if (action == "list") {
        answer = api_request(credentials, "GET", "/v1/tokens").body;
    } else if (action == "revoke") {
        answer = api_request(credentials, "DELETE", "/v1/tokens/" + arguments.words[1]).body;
    } else {
        throw CliError("unknown token action \"" + action + "\"\n" + usage, kExitUsage);
    }
    if (arguments.has("--json")) {
        print_json(answer);
    } else if (action == "create") {
        std::cout << "token " << answer["token"]["id"].get<std::string>() << " (scope "
                  << answer["token"]["scope"].get<std::string>() << "), shown only once:\n"
                  << answer["secret"].get<std::string>() << std::endl;
    } else if (action == "list") {
        for (const auto &token : answer["tokens"])
            std::cout << token["id"].get<std::string>() << "  " << std::left << std::setw(8)
                      << token["scope"].get<std::string>() << token["prefix"].get<std::string>() << "...  "
                      << (token["revoked_at"].is_null() ? "active" : "revoked") << "  "
                      << token["name"].get<std::string>() << "\n";
    } else {
        std::cout << "token " << arguments.words[1] << " revoked" << std::endl;
    }
    return kExitOk;
}

int login_command(const std::vector<std::string> &raw)
{
    const char *usage = "Usage: shale login --api URL [--token TOKEN]   (without --token, the token is read from stdin)";
    Arguments arguments = parse_arguments(raw, {"--api", "--token"}, {}, usage);
    if (!arguments.has("--api") || !arguments.words.empty())
        throw CliError(usage, kExitUsage);
    ApiCredentials credentials{arguments.get("--api"), arguments.get("--token")};
    if (credentials.token.empty()) {
        if (isatty(0))
            std::cerr << "API token: " << std::flush;
        std::getline(std::cin, credentials.token);
    }
    if (credentials.token.empty())
        throw CliError("no token given", kExitUsage);
    json organization = api_request(credentials, "GET", "/v1/organization").body["organization"];
    save_credentials(credentials);
    if (arguments.has("--json"))
        print_json({{"organization", organization}, {"credentials", credentials_path()}});
    else
        std::cout << "logged in to organization " << organization["name"].get<std::string>() << " ("
                  << organization["id"].get<std::string>() << "); credentials in " << credentials_path() << std::endl;
    return kExitOk;
}

}  // namespace shale
