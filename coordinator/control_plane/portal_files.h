// portal_files.h — the portal (portal/, built into portal/dist) served by
// `shale serve` at every path outside /v1: static files with their content
// types, and index.html for the single-page application's own routes.
#pragma once

#include <string>

#include "http/http_server.h"

namespace shale {

// find_portal_dir returns $SHALE_PORTAL, else the repository's portal/dist next
// to this build of shale (build/coordinator/shale), else the installed copy
// /usr/local/share/shale/portal.
std::string find_portal_dir();

// serve_portal_file answers GET or HEAD of a path outside /v1 from dir: the
// file when it exists, else index.html for a path without a file extension (a
// client route such as /databases/db_1), else 404; 405 for other methods.
HttpResponse serve_portal_file(const std::string &dir, const HttpRequest &request, const std::string &path);

}  // namespace shale
