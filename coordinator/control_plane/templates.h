// templates.h — database templates: one folder per template under the
// templates directory (templates/ in the repository). A folder holds
// template.json (description), schema.sql, distribution.sql, optionally
// sample.sql, and queries.sql (example queries). Adding a template is adding a folder.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shale {

struct DatabaseTemplate {
    std::string name;
    std::string description;
    std::string schema_sql;
    std::string distribution_sql;
    std::string sample_sql;   // "" when the template has no sample data
    std::string queries_sql;
};

// find_templates_dir picks the templates directory: $SHALE_TEMPLATES, else
// the repository's templates/ above the executable (build/coordinator/shale),
// else /usr/local/share/shale/templates.
std::string find_templates_dir();

// list_templates reads every folder of dir holding a schema.sql, sorted by name.
std::vector<DatabaseTemplate> list_templates(const std::string &dir);
std::optional<DatabaseTemplate> load_template(const std::string &dir, const std::string &name);

// template_json describes a template; with details, its SQL files too.
nlohmann::json template_json(const DatabaseTemplate &database_template, bool details);

}  // namespace shale
