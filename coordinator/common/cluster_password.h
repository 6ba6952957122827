// cluster_password.h — the superuser password of a cluster made by `shale up`.
// Every node asks for SCRAM-SHA-256 on TCP (no trust), so every client that
// Shale runs (the CLI, shaled, pg_basebackup, pg_rewind, the servers' own libpq
// for replication and router-to-worker connections) reads the password from one
// libpq password file, DIR/pgpass (mode 0600, owned by the server OS user).
#pragma once

#include <optional>
#include <string>

#include "common/os_user.h"

namespace shale {

// cluster_password_file is DIR/pgpass, the libpq password file of a cluster.
std::string cluster_password_file(const std::string &cluster_dir);

// read_cluster_password returns the password kept in DIR/pgpass, nullopt when
// the cluster has none (a cluster made before passwords: trust on 127.0.0.1).
std::optional<std::string> read_cluster_password(const std::string &cluster_dir);

// ensure_cluster_password returns the cluster's password, first generating one
// and writing DIR/pgpass for the server user when there is none yet.
std::string ensure_cluster_password(const std::string &cluster_dir, const OsUser &user);

// store_cluster_password writes DIR/pgpass with a password chosen elsewhere
// (an agent gets the cluster's from `shale up`); when DIR/pgpass exists already
// it throws std::invalid_argument unless it holds that same password.
void store_cluster_password(const std::string &dir, const std::string &password, const OsUser &user);

// copy_cluster_password gives a new cluster directory (a restore) the password
// file of the cluster it comes from: the restored catalogs hold that password.
void copy_cluster_password(const std::string &from_dir, const std::string &to_dir, const OsUser &user);

// set_role_password_entry puts an application role's password into DIR/pgpass
// (an empty password removes the role's line): the router reaches the workers as
// the client's role, and the workers ask that role for its SCRAM password too.
void set_role_password_entry(const std::string &cluster_dir, const std::string &role, const std::string &password);

// use_password_file makes this process's node connections (node_conninfo) and
// every child process (PGPASSFILE) use the password file at path.
void use_password_file(const std::string &path);

// password_file_in_use is the path given to use_password_file, empty if none.
const std::string &password_file_in_use();

}  // namespace shale
