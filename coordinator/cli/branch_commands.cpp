// branch_commands.cpp — the CLI of branches and deploy requests: argument
// parsing, the API calls, waiting for operations, and output for people or
// (--json) scripts. Exit codes as for `shale db` (api_client.h).
#include "cli/branch_commands.h"

#include <iostream>

#include "cli/api_command_helpers.h"
#include "cli/cli_error.h"
#include "common/secrets.h"

namespace shale {

namespace {

using nlohmann::json;

const char *kBranchUsage =
    "Usage:\n"
    "  shale branch create DATABASE BRANCH [--data schema|latest|POINT|TIME] [--ttl SECONDS] [--no-wait] [--json]\n"
    "  shale branch list DATABASE [--json]\n"
    "  shale branch delete DATABASE BRANCH [--json]\n"
    "  shale branch reset DATABASE BRANCH [--no-wait] [--json]\n"
    "Options everywhere: --api URL --token TOKEN (else $SHALE_API_URL, $SHALE_TOKEN, shale login)";

const char *kDeployUsage =
    "Usage:\n"
    "  shale deploy-request create DATABASE --branch BRANCH [--auto-apply] [--json]\n"
    "  shale deploy-request show DATABASE NUMBER [--json]\n"
    "  shale deploy-request list DATABASE [--json]\n"
    "  shale deploy-request deploy DATABASE NUMBER [--no-wait] [--json]\n"
    "  shale deploy-request revert DATABASE NUMBER [--no-wait] [--json]\n"
    "  shale deploy-request close DATABASE NUMBER [--json]\n"
    "Options everywhere: --api URL --token TOKEN (else $SHALE_API_URL, $SHALE_TOKEN, shale login)";

ApiCredentials credentials_for(const Arguments &arguments)
{
    if (arguments.has("--api") && arguments.has("--token"))
        return {arguments.get("--api"), arguments.get("--token")};
    ApiCredentials credentials = load_credentials();
    if (arguments.has("--api"))
        credentials.api_url = arguments.get("--api");
    if (arguments.has("--token"))
        credentials.token = arguments.get("--token");
    return credentials;
}

void need_words(const Arguments &arguments, size_t count, const char *usage)
{
    if (arguments.words.size() != count)
        throw CliError(usage, kExitUsage);
}

// finish waits for an operation (unless --no-wait) and says how it ended.
int finish(const ApiCredentials &credentials, const Arguments &arguments, json started, const std::string &then_get)
{
    json operation = started["operation"];
    if (!arguments.has("--no-wait") && operation.is_object())
        operation = wait_for_operation(credentials, operation["id"].get<std::string>(), arguments.has("--json"));
    json result = api_request(credentials, "GET", then_get).body;
    result["operation"] = operation;
    if (arguments.has("--json"))
        print_json(result);
    return operation.is_object() && operation["state"] == "failed" ? kExitFailure : kExitOk;
}

void print_branch(const json &branch)
{
    std::cout << branch["name"].get<std::string>() << " (" << branch["id"].get<std::string>()
              << "): " << branch["state"].get<std::string>() << ", data " << text_or_dash(branch["branch_data"])
              << (branch["expires_at"].is_string() ? ", expires " + branch["expires_at"].get<std::string>() : "")
              << "\n";
    if (branch["state"] == "ready" && branch["uri"].is_string())
        std::cout << "  " << branch["uri"].get<std::string>() << "\n";
    if (branch["error"].is_string())
        std::cout << "  error: " << branch["error"].get<std::string>() << "\n";
}

void print_request(const json &request)
{
    std::cout << "deploy request " << request["number"] << " (" << request["id"].get<std::string>() << ") from branch "
              << text_or_dash(request["branch"]) << ": " << request["state"].get<std::string>();
    if (request["revert_seconds_left"].is_number())
        std::cout << ", revert possible for " << request["revert_seconds_left"] << " s";
    std::cout << "\n";
    if (request["parent_state"].is_string())
        std::cout << "parent: " << request["parent_state"].get<std::string>() << "\n";
    if (request["error"].is_string())
        std::cout << "error: " << request["error"].get<std::string>() << "\n";
    std::cout << "\n-- DDL that the deploy runs, in order\n" << text_or_dash(request["ddl"]) << "\n";
    for (const auto &step : request["steps"])
        if (step.contains("state"))
            std::cout << "step " << step["number"] << " " << step["object"].get<std::string>() << ": "
                      << step["state"].get<std::string>()
                      << (step.contains("lock_retries") ? " (lock retries " + step["lock_retries"].dump() + ")" : "")
                      << "\n";
    if (!request["lint"].empty())
        std::cout << "\nlint:\n";
    for (const auto &finding : request["lint"])
        std::cout << "  [" << finding["severity"].get<std::string>() << "] " << finding["code"].get<std::string>()
                  << " " << finding["object"].get<std::string>() << ": " << finding["message"].get<std::string>()
                  << "\n    why: " << finding["why"].get<std::string>()
                  << "\n    what to do: " << finding["what_to_do"].get<std::string>() << "\n";
    for (const auto &conflict : request["conflicts"])
        std::cout << "  [conflict] " << conflict["object"].get<std::string>() << ": "
                  << conflict["message"].get<std::string>() << "\n";
}

}  // namespace

int branch_command(const std::vector<std::string> &raw)
{
    Arguments arguments =
        parse_arguments(raw, {"--data", "--ttl", "--api", "--token"}, {"--no-wait"}, kBranchUsage);
    if (arguments.words.empty())
        throw CliError(kBranchUsage, kExitUsage);
    const std::string verb = arguments.words[0];
    if (verb == "list") {
        need_words(arguments, 2, kBranchUsage);
    } else if (verb == "create" || verb == "delete" || verb == "reset") {
        need_words(arguments, 3, kBranchUsage);
    } else {
        throw CliError("unknown command branch " + verb + "\n" + kBranchUsage, kExitUsage);
    }
    ApiCredentials credentials = credentials_for(arguments);
    json database = find_database_by_name(credentials, arguments.words[1]);
    const std::string base = "/v1/databases/" + database["id"].get<std::string>() + "/branches";
    if (verb == "list") {
        json branches = api_request(credentials, "GET", base).body;
        if (arguments.has("--json"))
            print_json(branches);
        else
            for (const auto &branch : branches["branches"])
                print_branch(branch);
        return kExitOk;
    }
    const std::string branch = arguments.words[2];
    if (verb == "create") {
        json body = {{"name", branch}, {"data", arguments.get("--data", "schema")}};
        if (arguments.has("--ttl"))
            body["ttl_seconds"] = std::stoll(arguments.get("--ttl").find_first_not_of("0123456789") == std::string::npos &&
                                                     !arguments.get("--ttl").empty() && arguments.get("--ttl").size() < 12
                                                 ? arguments.get("--ttl")
                                                 : throw CliError("--ttl takes a number of seconds", kExitUsage));
        json started = api_request(credentials, "POST", base, body, "cli-" + random_hex(8)).body;
        int code = finish(credentials, arguments, started, base + "/" + started["database"]["id"].get<std::string>());
        if (!arguments.has("--json")) {
            json now = api_request(credentials, "GET", base + "/" + started["database"]["id"].get<std::string>()).body;
            print_branch(now["database"]);
        }
        return code;
    }
    if (verb == "delete") {
        json answer = api_request(credentials, "DELETE", base + "/" + branch).body;
        if (arguments.has("--json"))
            print_json(answer);
        else
            std::cout << "branch " << branch << ": deleting (its servers and files are removed)\n";
        return kExitOk;
    }
    json started = api_request(credentials, "POST", base + "/" + branch + "/reset", json::object()).body;
    int code = finish(credentials, arguments, started, base + "/" + branch);
    if (!arguments.has("--json"))
        print_branch(api_request(credentials, "GET", base + "/" + branch).body["database"]);
    return code;
}

int deploy_request_command(const std::vector<std::string> &raw)
{
    Arguments arguments =
        parse_arguments(raw, {"--branch", "--api", "--token"}, {"--no-wait", "--auto-apply"}, kDeployUsage);
    if (arguments.words.size() < 2)
        throw CliError(kDeployUsage, kExitUsage);
    const std::string verb = arguments.words[0];
    if (verb == "create" || verb == "list")
        need_words(arguments, 2, kDeployUsage);
    else if (verb == "show" || verb == "deploy" || verb == "revert" || verb == "close")
        need_words(arguments, 3, kDeployUsage);
    else
        throw CliError("unknown command deploy-request " + verb + "\n" + kDeployUsage, kExitUsage);
    if (verb == "create" && !arguments.has("--branch"))
        throw CliError("deploy-request create needs --branch BRANCH\n" + std::string(kDeployUsage), kExitUsage);
    ApiCredentials credentials = credentials_for(arguments);
    json database = find_database_by_name(credentials, arguments.words[1]);
    const std::string base = "/v1/databases/" + database["id"].get<std::string>() + "/deploy-requests";
    if (verb == "list") {
        json requests = api_request(credentials, "GET", base).body;
        if (arguments.has("--json"))
            print_json(requests);
        else
            for (const auto &request : requests["deploy_requests"])
                std::cout << request["number"] << " " << request["id"].get<std::string>() << " from "
                          << text_or_dash(request["branch"]) << ": " << request["state"].get<std::string>() << "\n";
        return kExitOk;
    }
    json answer;
    std::string number;
    if (verb == "create") {
        answer = api_request(credentials, "POST", base,
                             {{"branch", arguments.get("--branch")}, {"auto_apply", arguments.has("--auto-apply")}},
                             "cli-" + random_hex(8))
                     .body;
        number = std::to_string(answer["deploy_request"]["number"].get<int>());
    } else {
        number = arguments.words[2];
        if (verb == "show")
            answer = api_request(credentials, "GET", base + "/" + number).body;
        else
            answer = api_request(credentials, "POST", base + "/" + number + "/" + verb, json::object()).body;
    }
    int code = kExitOk;
    if (answer.contains("operation") && answer["operation"].is_object())
        code = finish(credentials, arguments, answer, base + "/" + number);
    else if (arguments.has("--json"))
        print_json(answer);
    if (!arguments.has("--json"))
        print_request(api_request(credentials, "GET", base + "/" + number).body["deploy_request"]);
    return code;
}

}  // namespace shale
