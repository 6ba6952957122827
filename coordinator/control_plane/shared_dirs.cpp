// shared_dirs.cpp — the search order of shared_dirs.h.
#include "control_plane/shared_dirs.h"

#include <cstdlib>
#include <filesystem>

#include "common/process.h"

namespace shale {

namespace fs = std::filesystem;

std::string find_shared_dir(const char *environment, const std::string &repository_path, const std::string &marker,
                            const std::string &installed_name)
{
    const char *configured = std::getenv(environment);
    if (configured != nullptr && *configured != '\0')
        return configured;
    std::error_code error;
    fs::path repository = fs::path(executable_dir()) / ".." / ".." / repository_path;
    if (fs::exists(marker.empty() ? repository : repository / marker, error) && fs::is_directory(repository, error))
        return fs::weakly_canonical(repository, error).string();
    return "/usr/local/share/shale/" + installed_name;
}

}  // namespace shale
