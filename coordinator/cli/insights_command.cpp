// insights_command.cpp — `shale insights`: what the router's query patterns
// did in a window (default 1h), `shale insights advice | apply ID | dismiss
// ID`: advice with its evidence and statement, and `shale insights snapshot`:
// store a history snapshot now, as shaled does every minute (docs/insights.md).
#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/scaling_commands.h"
#include "common/cluster_password.h"
#include "common/insights_advice.h"
#include "common/insights_history.h"
#include "common/insights_report.h"

namespace po = boost::program_options;

namespace shale {

namespace {

// text_of shows a JSON value in a table cell ("-" for null).
std::string text_of(const nlohmann::json &value)
{
    if (value.is_null())
        return "-";
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_number_float()) {
        char buffer[32];
        std::snprintf(buffer, sizeof(buffer), "%.3f", value.get<double>());
        return buffer;
    }
    return value.dump();
}

// cut shortens a query for one line of a table.
std::string cut(std::string text, size_t width)
{
    for (char &c : text)
        if (c == '\n' || c == '\t')
            c = ' ';
    return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

void print_patterns(const nlohmann::json &document)
{
    std::printf("query patterns, last %s (history since %s; percentiles since %s):\n",
                document["window"].get<std::string>().c_str(), text_of(document["history_since"]).c_str(),
                text_of(document["statistics_since"]).c_str());
    std::printf("  %-58s %7s %6s %10s %8s %8s %7s %-12s\n", "QUERY", "CALLS", "ERRORS", "TOTAL MS", "MEAN MS",
                "P95 MS", "ROWS", "RAN ON");
    for (const auto &pattern : document["patterns"])
        std::printf("  %-58s %7s %6s %10s %8s %8s %7s %-12s\n", cut(text_of(pattern["query"]), 58).c_str(),
                    text_of(pattern["calls"]).c_str(), text_of(pattern["errors"]).c_str(),
                    text_of(pattern["total_ms"]).c_str(), text_of(pattern["mean_ms"]).c_str(),
                    text_of(pattern["p95_ms"]).c_str(), text_of(pattern["rows"]).c_str(),
                    text_of(pattern["ran_on"]).c_str());
    if (document["patterns"].empty())
        std::printf("  (none)\n");
    if (!document["tenants"].empty()) {
        std::printf("busiest tenants (single-shard statements):\n");
        std::printf("  %-24s %-16s %10s %10s %8s\n", "TABLE", "TENANT", "STATEMENTS", "TOTAL MS", "SHARE");
        int shown = 0;
        for (const auto &tenant : document["tenants"])
            if (shown++ < 5)
                std::printf("  %-24s %-16s %10s %10s %7s%%\n", text_of(tenant["table_name"]).c_str(),
                            cut(text_of(tenant["tenant"]), 16).c_str(), text_of(tenant["statements"]).c_str(),
                            text_of(tenant["total_ms"]).c_str(), text_of(tenant["percent_of_statements"]).c_str());
    }
}

void print_advice(const nlohmann::json &advice)
{
    if (advice["advice"].empty())
        std::printf("no advice\n");
    for (const auto &item : advice["advice"]) {
        std::printf("%s\n  %s\n", item["id"].get<std::string>().c_str(), item["title"].get<std::string>().c_str());
        std::printf("  why: %s\n", text_of(item["evidence"]["why"]).c_str());
        for (const auto &[key, value] : item["evidence"].items())
            if (key != "why")
                std::printf("    %s: %s\n", key.c_str(), cut(text_of(value), 200).c_str());
        std::printf("  run:\n");
        for (const auto &statement : item["statements"])
            std::printf("    %s;\n", statement.get<std::string>().c_str());
    }
    if (!advice["dismissed"].empty())
        std::printf("dismissed: %zu (shale insights advice --json lists them)\n", advice["dismissed"].size());
    if (advice["workers_unreachable"].get<int>() > 0)
        std::printf("note: %d worker groups did not answer; index advice needs all of them\n",
                    advice["workers_unreachable"].get<int>());
}

}  // namespace

int insights_command(const std::vector<std::string> &arguments)
{
    po::options_description options("Options for `shale insights [advice | apply ID | dismiss ID]`");
    options.add_options()("help,h", "show this help")(
        "dir", po::value<std::string>()->default_value("./.shale"), "cluster directory")(
        "window", po::value<std::string>()->default_value("1h"), "15m, 1h, 24h, 7d (1 minute to 7 days)")(
        "limit", po::value<int>()->default_value(20), "patterns shown (1..1000)")("json", "print JSON");
    po::options_description hidden;
    hidden.add_options()("words", po::value<std::vector<std::string>>(), "");
    po::options_description all;
    all.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add("words", -1);
    po::variables_map values;
    try {
        po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
        po::notify(values);
    } catch (const po::error &error) {
        throw CliError(std::string(error.what()) + "\nTry \"shale insights --help\".", 2);
    }
    if (values.count("help")) {
        std::cout << "Usage: shale insights [advice | apply ID | dismiss ID | snapshot] [options]\n\n" << options << "\n";
        return 0;
    }
    std::vector<std::string> words =
        values.count("words") ? values["words"].as<std::vector<std::string>>() : std::vector<std::string>{};
    const std::string action = words.empty() ? "" : words[0];
    if (!(action.empty() || action == "advice" || (action == "snapshot" && words.size() == 1) || ((action == "apply" || action == "dismiss") && words.size() == 2)) ||
        (action == "advice" && words.size() != 1))
        throw CliError("usage: shale insights [advice | apply ID | dismiss ID | snapshot] [--window W] [--json] [--dir DIR]", 2);
    const std::string window = values["window"].as<std::string>();
    auto window_seconds = parse_insights_window(window);
    if (!window_seconds)
        throw CliError("--window takes a number and m, h or d from 1m to 7d (15m, 1h, 24h, 7d); got \"" + window + "\"",
                       2);
    int limit = values["limit"].as<int>();
    if (limit < 1 || limit > 1000)
        throw CliError("--limit takes 1 to 1000", 2);
    const bool as_json = values.count("json") > 0;

    std::string dir = std::filesystem::absolute(values["dir"].as<std::string>()).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    use_password_file(cluster_password_file(dir));
    ClusterLayout layout = load_cluster_or_fail(dir);
    PgConnection router = connect_router_or_fail(layout);

    if (action == "snapshot") {  // what shaled does every minute, now (tests, before a look at a short window)
        std::string error;
        if (!take_insights_snapshot(router, &error))
            throw CliError("cannot take an insights snapshot: " + error);
        std::printf("snapshot taken; history rows: %lld\n", history_rows(router));
        return 0;
    }
    nlohmann::json document = read_insights(router, window, *window_seconds, action.empty() ? limit : 1000);
    if (action.empty()) {
        if (as_json)
            std::cout << document.dump(2) << "\n";
        else
            print_patterns(document);
        return 0;
    }
    nlohmann::json advice = compute_advice(router, document, cluster_password_file(dir));
    if (action == "advice") {
        if (as_json)
            std::cout << advice.dump(2) << "\n";
        else
            print_advice(advice);
        return 0;
    }
    if (action == "dismiss") {
        std::string error;
        if (!dismiss_advice(router, words[1], &error))
            throw CliError("cannot dismiss " + words[1] + ": " + error);
        std::printf("dismissed %s\n", words[1].c_str());
        return 0;
    }
    nlohmann::json results = apply_advice(router, advice["advice"], words[1]);
    bool all_ok = true;
    for (const auto &result : results) {
        all_ok = all_ok && result["ok"].get<bool>();
        if (!as_json)
            std::printf("%s %s;%s\n", result["ok"].get<bool>() ? "ran" : "FAILED",
                        result["statement"].get<std::string>().c_str(),
                        result["ok"].get<bool>() ? "" : (" " + result["error"].get<std::string>()).c_str());
    }
    if (as_json)
        std::cout << nlohmann::json{{"id", words[1]}, {"results", results}}.dump(2) << "\n";
    return all_ok ? 0 : 1;
}

}  // namespace shale
