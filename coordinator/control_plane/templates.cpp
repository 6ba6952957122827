// templates.cpp — reading template folders.
#include "control_plane/templates.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control_plane/shared_dirs.h"

namespace shale {

namespace fs = std::filesystem;

namespace {

std::string read_file_or_empty(const fs::path &path)
{
    std::ifstream in(path);
    if (!in)
        return "";
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// valid_template_name accepts lowercase letters, digits, '-' and '_' (a path
// component from a request must never climb out of the directory).
bool valid_template_name(const std::string &name)
{
    if (name.empty() || name.size() > 63)
        return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; });
}

}  // namespace

std::string find_templates_dir()
{
    return find_shared_dir("SHALE_TEMPLATES", "templates", "", "templates");
}

std::optional<DatabaseTemplate> load_template(const std::string &dir, const std::string &name)
{
    if (!valid_template_name(name))
        return std::nullopt;
    fs::path folder = fs::path(dir) / name;
    std::error_code error;
    if (!fs::is_regular_file(folder / "schema.sql", error))
        return std::nullopt;
    DatabaseTemplate loaded;
    loaded.name = name;
    std::string metadata = read_file_or_empty(folder / "template.json");
    auto parsed = nlohmann::json::parse(metadata, nullptr, false);
    if (parsed.is_object() && parsed.contains("description") && parsed["description"].is_string())
        loaded.description = parsed["description"].get<std::string>();
    loaded.schema_sql = read_file_or_empty(folder / "schema.sql");
    loaded.distribution_sql = read_file_or_empty(folder / "distribution.sql");
    loaded.sample_sql = read_file_or_empty(folder / "sample.sql");
    loaded.queries_sql = read_file_or_empty(folder / "queries.sql");
    return loaded;
}

std::vector<DatabaseTemplate> list_templates(const std::string &dir)
{
    std::vector<std::string> names;
    std::error_code error;
    for (const auto &entry : fs::directory_iterator(dir, error))
        if (entry.is_directory())
            names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    std::vector<DatabaseTemplate> templates;
    for (const auto &name : names)
        if (auto loaded = load_template(dir, name))
            templates.push_back(*loaded);
    return templates;
}

nlohmann::json template_json(const DatabaseTemplate &database_template, bool details)
{
    nlohmann::json document{{"name", database_template.name},
                            {"description", database_template.description},
                            {"has_sample_data", !database_template.sample_sql.empty()}};
    if (details) {
        document["schema_sql"] = database_template.schema_sql;
        document["distribution_sql"] = database_template.distribution_sql;
        document["sample_sql"] = database_template.sample_sql;
        document["example_queries_sql"] = database_template.queries_sql;
    }
    return document;
}

}  // namespace shale
