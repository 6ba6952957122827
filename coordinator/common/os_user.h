// os_user.h — the OS user that owns and runs the PostgreSQL servers. PostgreSQL
// refuses to run as root, so when the CLI runs as root the servers run as the
// `postgres` user; otherwise as the invoking user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace shale {

struct OsUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::vector<gid_t> groups;   // supplementary groups, including gid
    bool switch_needed = false;  // true when we run as root and must drop to this user
};

// server_user returns the user the servers run as ("postgres" when euid is 0).
// Throws when running as root and no postgres user exists.
OsUser server_user();
// lookup_user returns the named user; throws when it does not exist.
OsUser lookup_user(const std::string &name);

// chown_tree gives the whole tree under path to user (no-op unless switch_needed).
void chown_tree(const std::string &path, const OsUser &user);

// user_can_traverse tells whether user has search permission on directory path,
// judged from its mode bits, owner and group.
bool user_can_traverse(const std::string &path, const OsUser &user);

// make_parents_traversable adds o+x to every ancestor of dir that user cannot
// traverse; returns the directories it changed.
std::vector<std::string> make_parents_traversable(const std::string &dir, const OsUser &user);

}  // namespace shale
