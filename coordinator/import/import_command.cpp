// import_command.cpp — parses `shale import SUBCOMMAND [options]` and runs it.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "cli/cli_error.h"
#include "import/distribution_plan.h"
#include "import/import_commands.h"
#include "import/source_inspection.h"

namespace po = boost::program_options;

namespace shale::import {

namespace {

const char *kImportUsage =
    "Usage: shale import <subcommand> [options]   (docs/import.md)\n"
    "\n"
    "  inspect SOURCE_URI                  what the source holds, and what would stop an import (with the fix)\n"
    "  plan SOURCE_URI [--out FILE]        propose a distribution per table, as an editable JSON file\n"
    "  start SOURCE_URI --to SHALE_URI [--plan FILE] [--dir DIR] [--jobs N]\n"
    "                                      create the schema on Shale, copy every table from one snapshot,\n"
    "                                      then follow the source's changes until stopped (Ctrl-C, or cutover)\n"
    "  start --dir DIR                     resume a stopped import from its replication slot\n"
    "  status [--dir DIR]                  phase, copy progress, lag\n"
    "  cutover [--dir DIR] [--lock-timeout S] [--catch-up-timeout S]\n"
    "                                      block writes on the source, apply the last changes, set sequences,\n"
    "                                      verify every table, print the new URI\n"
    "  abort [--dir DIR]                   before the cutover: leave the source as it was, remove the import from Shale\n"
    "\n"
    "DIR defaults to ./.shale-import. Exit codes: 0 success, 1 failure, 2 bad usage.\n";

std::string absolute(const std::string &dir)
{
    return std::filesystem::absolute(dir).lexically_normal().string();
}

}  // namespace

int import_command(const std::vector<std::string> &arguments)
{
    if (arguments.empty() || arguments[0] == "--help" || arguments[0] == "-h" || arguments[0] == "help") {
        (arguments.empty() ? std::cerr : std::cout) << kImportUsage;
        return arguments.empty() ? 2 : 0;
    }
    const std::string subcommand = arguments[0];
    std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
    po::options_description options("Options for `shale import " + subcommand + "`");
    options.add_options()("help,h", "show this help");
    po::positional_options_description positional;
    positional.add("source", 1);
    options.add_options()("source", po::value<std::string>(), "source URI (postgres://user:password@host:port/db)");
    if (subcommand != "inspect" && subcommand != "plan")
        options.add_options()("dir", po::value<std::string>()->default_value("./.shale-import"), "state directory of the import");
    if (subcommand == "plan") {
        options.add_options()("out", po::value<std::string>()->default_value("-"), "plan file to write (- for stdout)");
    } else if (subcommand == "start") {
        options.add_options()
            ("to", po::value<std::string>(), "URI of the Shale router (as shale up or shale db create printed it)")
            ("plan", po::value<std::string>(), "plan file (default: the plan shale import plan proposes)")
            ("jobs", po::value<int>()->default_value(4), "connections copying at once (1..32); a table of 128 MB or more is split among them");
    } else if (subcommand == "cutover") {
        options.add_options()
            ("lock-timeout", po::value<int>()->default_value(5), "seconds to wait for the write block on the source")
            ("catch-up-timeout", po::value<int>()->default_value(60), "seconds to wait for the last changes while "
                                                                       "writes are blocked");
    } else if (subcommand != "inspect" && subcommand != "status" && subcommand != "abort") {
        throw CliError("unknown import subcommand \"" + subcommand + "\"\n" + kImportUsage, 2);
    }
    po::variables_map values;
    try {
        po::store(po::command_line_parser(rest).options(options).positional(positional).run(), values);
        po::notify(values);
    } catch (const po::error &error) {
        throw CliError(std::string(error.what()) + "\nTry \"shale import " + subcommand + " --help\".", 2);
    }
    if (values.count("help")) {
        std::cout << kImportUsage << "\n" << options << "\n";
        return 0;
    }
    std::string source = values.count("source") ? values["source"].as<std::string>() : "";
    if ((subcommand == "inspect" || subcommand == "plan") && source.empty())
        throw CliError("shale import " + subcommand + " needs SOURCE_URI", 2);
    if (subcommand != "inspect" && subcommand != "plan" && subcommand != "start" && !source.empty())
        throw CliError("shale import " + subcommand + " takes no URI, only --dir", 2);
    if (subcommand == "inspect")
        return inspect_command(source);
    if (subcommand == "plan")
        return plan_command(source, values["out"].as<std::string>());
    std::string dir = absolute(values["dir"].as<std::string>());
    if (subcommand == "start") {
        StartOptions start;
        start.source_uri = source;
        start.target_uri = values.count("to") ? values["to"].as<std::string>() : "";
        start.plan_file = values.count("plan") ? values["plan"].as<std::string>() : "";
        start.dir = dir;
        start.jobs = values["jobs"].as<int>();
        if (start.jobs < 1 || start.jobs > 32)
            throw CliError("--jobs takes 1 to 32", 2);
        if (!source.empty() && start.target_uri.empty())
            throw CliError("shale import start needs --to SHALE_URI", 2);
        return start_command(start);
    }
    if (subcommand == "status")
        return status_command(dir);
    if (subcommand == "abort")
        return abort_command(dir);
    CutoverOptions cutover;
    cutover.dir = dir;
    cutover.lock_timeout_s = values["lock-timeout"].as<int>();
    cutover.catch_up_timeout_s = values["catch-up-timeout"].as<int>();
    if (cutover.lock_timeout_s < 1 || cutover.lock_timeout_s > 3600 || cutover.catch_up_timeout_s < 1 ||
        cutover.catch_up_timeout_s > 86400)
        throw CliError("--lock-timeout takes 1 to 3600 s, --catch-up-timeout 1 to 86400 s", 2);
    return cutover_command(cutover);
}

}  // namespace shale::import
