// os_user.cpp — looking up the server OS user, chowning the cluster tree and
// making the cluster directory reachable for that user.
#include "common/os_user.h"

#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace shale {

OsUser lookup_user(const std::string &name)
{
    struct passwd *entry = getpwnam(name.c_str());
    if (entry == nullptr)
        throw std::runtime_error("OS user \"" + name + "\" does not exist");
    OsUser user;
    user.name = entry->pw_name;
    user.uid = entry->pw_uid;
    user.gid = entry->pw_gid;
    user.home = entry->pw_dir;
    int count = 64;
    std::vector<gid_t> groups(count);
    if (getgrouplist(user.name.c_str(), user.gid, groups.data(), &count) < 0) {
        groups.resize(count);
        getgrouplist(user.name.c_str(), user.gid, groups.data(), &count);
    }
    groups.resize(count);
    user.groups = groups;
    return user;
}

OsUser server_user()
{
    if (geteuid() == 0) {
        OsUser user = lookup_user("postgres");
        user.switch_needed = true;
        return user;
    }
    struct passwd *entry = getpwuid(geteuid());
    if (entry == nullptr)
        throw std::runtime_error("cannot look up the current OS user");
    OsUser user = lookup_user(entry->pw_name);
    user.switch_needed = false;
    return user;
}

// nftw callbacks take no user data, so the owner to set lives here during a walk.
static uid_t chown_uid;
static gid_t chown_gid;

static int chown_entry(const char *path, const struct stat *, int, struct FTW *)
{
    if (lchown(path, chown_uid, chown_gid) != 0)
        return -1;
    return 0;
}

void chown_tree(const std::string &path, const OsUser &user)
{
    if (!user.switch_needed)
        return;
    chown_uid = user.uid;
    chown_gid = user.gid;
    if (nftw(path.c_str(), chown_entry, 32, FTW_PHYS) != 0)
        throw std::runtime_error("could not chown " + path + " to " + user.name + ": " + std::strerror(errno));
}

bool user_can_traverse(const std::string &path, const OsUser &user)
{
    struct stat info;
    if (stat(path.c_str(), &info) != 0)
        return false;
    if (user.uid == 0)
        return true;
    if (info.st_uid == user.uid)
        return (info.st_mode & S_IXUSR) != 0;
    if (std::find(user.groups.begin(), user.groups.end(), info.st_gid) != user.groups.end())
        return (info.st_mode & S_IXGRP) != 0;
    return (info.st_mode & S_IXOTH) != 0;
}

std::vector<std::string> make_parents_traversable(const std::string &dir, const OsUser &user)
{
    std::vector<std::string> changed;
    std::string parent = dir;
    while (true) {
        size_t slash = parent.find_last_of('/');
        if (slash == std::string::npos)
            break;
        parent = slash == 0 ? "/" : parent.substr(0, slash);
        if (!user_can_traverse(parent, user)) {
            struct stat info;
            if (stat(parent.c_str(), &info) != 0 || chmod(parent.c_str(), (info.st_mode & 07777) | S_IXOTH) != 0)
                throw std::runtime_error("user " + user.name + " cannot reach " + dir + " and chmod o+x " + parent +
                                         " failed: " + std::strerror(errno));
            changed.push_back(parent);
        }
        if (parent == "/")
            break;
    }
    return changed;
}

}  // namespace shale
