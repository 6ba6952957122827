// http_backup_routes.h — the backup endpoints of shaled's HTTP API
// (docs/backups.md):
//   GET  /v1/backups                       backups (good and failed), restore points
//   POST /v1/backups?kind=full|diff|incr   takes a backup now; 202 with an operation
//   POST /v1/restores?to=X&target=/DIR     builds a new cluster at X; 202 with an operation
//   GET  /v1/backup-operations/ID          state of such an operation (running,
//                                          succeeded, failed), its output, the new URI
// Operations run `shale backup` / `shale restore` as detached processes; their
// state lives in files under DIR/backup/operations, so it survives shaled restarts.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "http/http_server.h"

namespace shale {

// handle_backup_route answers a request for one of the paths above, or returns
// nullopt when the path is not one of them.
std::optional<HttpResponse> handle_backup_route(const std::string &method, const std::string &path,
                                                const std::map<std::string, std::string> &query,
                                                const std::string &cluster_dir);

}  // namespace shale
