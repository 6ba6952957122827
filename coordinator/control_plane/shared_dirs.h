// shared_dirs.h — where shale serve finds the files it ships (templates, the
// built portal): an environment variable, else the repository's copy next to a
// build tree's shale (build/coordinator/shale), else the installed copy under
// /usr/local/share/shale.
#pragma once

#include <string>

namespace shale {

// find_shared_dir returns $environment when set; else repository_path (relative
// to the repository root) when it holds marker ("" for the directory itself);
// else /usr/local/share/shale/installed_name.
std::string find_shared_dir(const char *environment, const std::string &repository_path, const std::string &marker,
                            const std::string &installed_name);

}  // namespace shale
