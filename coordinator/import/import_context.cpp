// import_context.cpp — catalog, plan and follow options of an existing import.
#include "import/import_context.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include "import/source_connection.h"
#include "import/source_inspection.h"

namespace shale::import {

ImportContext load_context(const ImportState &state)
{
    PgConnection source = connect_checked(state.source_uri(), "source");
    ImportContext context;
    context.catalog = load_source_catalog(source);
    context.plan = plan_from_json(state.data["plan"], context.catalog);
    return context;
}

FollowOptions follow_options(const ImportState &state, const std::atomic<bool> *stop, std::uint64_t until_lsn)
{
    FollowOptions options;
    options.source_uri = state.source_uri();
    options.target_uri = state.target_uri();
    options.slot = state.slot();
    options.publication = state.publication();
    options.stop = stop;
    options.until_lsn = until_lsn;
    std::string dir = state.dir;
    options.report = [dir](const nlohmann::json &progress) {
        nlohmann::json status = progress;
        status["pid"] = static_cast<long long>(::getpid());
        status["updated_at"] = static_cast<long long>(std::time(nullptr));
        write_status(dir, status);
    };
    return options;
}

}  // namespace shale::import
