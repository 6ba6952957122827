// cluster_password.cpp — generating, storing and using a cluster's superuser
// password (see cluster_password.h).
#include "common/cluster_password.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/secrets.h"

namespace shale {

namespace {

std::string password_file_path;

// write_password_file writes a libpq password file that gives password to the
// user postgres on every host and port (the nodes of this one cluster), mode
// 0600, owned by the server user: libpq ignores a file others can read.
void write_password_file(const std::string &path, const std::string &password, const OsUser &user)
{
    const std::string temporary = path + ".new";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << "# Written by `shale up`: the password of the superuser postgres on every node.\n"
            << "*:*:*:postgres:" << password << "\n";
        if (!out)
            throw std::runtime_error("could not write " + temporary);
    }
    chmod(temporary.c_str(), 0600);
    if (user.switch_needed && chown(temporary.c_str(), user.uid, user.gid) != 0)
        throw std::runtime_error("could not give " + temporary + " to OS user " + user.name);
    std::filesystem::rename(temporary, path);
}

}  // namespace

std::string cluster_password_file(const std::string &cluster_dir)
{
    return cluster_dir + "/pgpass";
}

std::optional<std::string> read_cluster_password(const std::string &cluster_dir)
{
    std::ifstream in(cluster_password_file(cluster_dir));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        size_t last_colon = line.rfind(':');
        if (last_colon != std::string::npos && last_colon + 1 < line.size())
            return line.substr(last_colon + 1);
    }
    return std::nullopt;
}

std::string ensure_cluster_password(const std::string &cluster_dir, const OsUser &user)
{
    if (auto existing = read_cluster_password(cluster_dir))
        return *existing;
    std::string password = new_password();
    write_password_file(cluster_password_file(cluster_dir), password, user);
    return password;
}

void store_cluster_password(const std::string &dir, const std::string &password, const OsUser &user)
{
    if (auto existing = read_cluster_password(dir)) {
        if (*existing != password)
            throw std::invalid_argument(cluster_password_file(dir) + " holds another superuser password");
        return;
    }
    write_password_file(cluster_password_file(dir), password, user);
}

void copy_cluster_password(const std::string &from_dir, const std::string &to_dir, const OsUser &user)
{
    if (auto password = read_cluster_password(from_dir))
        write_password_file(cluster_password_file(to_dir), *password, user);
}

void set_role_password_entry(const std::string &cluster_dir, const std::string &role, const std::string &password)
{
    const std::string path = cluster_password_file(cluster_dir);
    struct stat file_status;
    if (stat(path.c_str(), &file_status) != 0)
        return;  // a cluster made before passwords: trust, nothing to keep
    std::ifstream in(path);
    std::string kept, line;
    const std::string role_field = ":" + role + ":";
    while (std::getline(in, line)) {
        // *:*:*:ROLE:PASSWORD — drop this role's old line
        size_t fourth = line.rfind(':');
        size_t third = fourth == std::string::npos || fourth == 0 ? std::string::npos : line.rfind(':', fourth - 1);
        if (third != std::string::npos && line.compare(third, fourth - third + 1, role_field) == 0)
            continue;
        kept += line + "\n";
    }
    if (!password.empty())
        kept += "*:*:*:" + role + ":" + password + "\n";
    const std::string temporary = path + ".new";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << kept;
        if (!out)
            throw std::runtime_error("could not write " + temporary);
    }
    chmod(temporary.c_str(), 0600);
    if (chown(temporary.c_str(), file_status.st_uid, file_status.st_gid) != 0)
        throw std::runtime_error("could not keep the owner of " + path);
    std::filesystem::rename(temporary, path);
}

void use_password_file(const std::string &path)
{
    password_file_path = path;
}

const std::string &password_file_in_use()
{
    return password_file_path;
}

}  // namespace shale
