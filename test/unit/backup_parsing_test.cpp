// backup_parsing_test.cpp — the pure parts of backups: pgBackRest verify output,
// LSNs, stanza names, restore point names, schedule.conf.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/backup_repository.h"
#include "common/backup_tasks.h"
#include "common/cluster_restore_point.h"

namespace {

TEST(VerifyOutput, AllValid)
{
    auto result = shale::parse_verify_output(
        "stanza: group1\n"
        "status: ok\n"
        "  archiveId: 15-1, total WAL checked: 5, total valid WAL: 5\n"
        "    missing: 0, checksum invalid: 0, size invalid: 0, other: 0\n"
        "  backup: 20261127-112323F, status: valid, total files checked: 965, total valid files: 965\n"
        "    missing: 0, checksum invalid: 0, size invalid: 0, other: 0\n");
    EXPECT_TRUE(result.ok);
    ASSERT_EQ(result.backups.size(), 1u);
    EXPECT_EQ(result.backups[0].first, "20261127-112323F");
    EXPECT_EQ(result.backups[0].second, "valid");
    EXPECT_EQ(result.problems, "");
}

TEST(VerifyOutput, InvalidChecksum)
{
    auto result = shale::parse_verify_output(
        "stanza: group1\n"
        "status: error\n"
        "  backup: 20261127-112323F, status: invalid, total files checked: 965, total valid files: 964\n"
        "    checksum invalid: 1\n");
    EXPECT_FALSE(result.ok);
    ASSERT_EQ(result.backups.size(), 1u);
    EXPECT_EQ(result.backups[0].second, "invalid");
    EXPECT_NE(result.problems.find("checksum invalid: 1"), std::string::npos);
}

TEST(VerifyOutput, NothingParsedIsNotOk)
{
    EXPECT_FALSE(shale::parse_verify_output("").ok);
    EXPECT_FALSE(shale::parse_verify_output("ERROR: [055]: unable to load info file").ok);
}

TEST(Lsn, Parses)
{
    EXPECT_EQ(shale::parse_lsn("0/0"), 0u);
    EXPECT_EQ(shale::parse_lsn("0/4000100"), 0x4000100u);
    EXPECT_EQ(shale::parse_lsn("1/0"), 1ull << 32);
    EXPECT_LT(shale::parse_lsn("0/FFFFFFFF"), shale::parse_lsn("1/0"));
    EXPECT_EQ(shale::parse_lsn("garbage"), 0u);
}

TEST(Stanza, NamesRoundTrip)
{
    EXPECT_EQ(shale::stanza_name(0), "router");
    EXPECT_EQ(shale::stanza_name(12), "group12");
    EXPECT_EQ(shale::group_of_stanza("router"), 0);
    EXPECT_EQ(shale::group_of_stanza("group12"), 12);
}

TEST(RestorePointName, Checked)
{
    EXPECT_NO_THROW(shale::check_restore_point_name("shaled_20261127T120000Z"));
    EXPECT_NO_THROW(shale::check_restore_point_name("before-migration.42"));
    EXPECT_THROW(shale::check_restore_point_name(""), std::runtime_error);
    EXPECT_THROW(shale::check_restore_point_name("has space"), std::runtime_error);
    EXPECT_THROW(shale::check_restore_point_name("quote'"), std::runtime_error);
    EXPECT_THROW(shale::check_restore_point_name(std::string(61, 'a')), std::runtime_error);
}

TEST(Schedule, DefaultsAndFile)
{
    std::string dir = std::filesystem::temp_directory_path().string() + "/shale-schedule-" + std::to_string(getpid());
    std::filesystem::create_directories(dir + "/backup");
    shale::BackupPaths paths(dir);
    shale::BackupSchedule defaults = shale::load_backup_schedule(paths);
    EXPECT_EQ(defaults.full_interval_s, 86400);
    EXPECT_EQ(defaults.retention_full, 2);
    std::ofstream(paths.schedule_file) << "incr-interval-s = 5\nretention-full = 3\n";
    shale::BackupSchedule loaded = shale::load_backup_schedule(paths);
    EXPECT_EQ(loaded.incr_interval_s, 5);
    EXPECT_EQ(loaded.retention_full, 3);
    EXPECT_EQ(loaded.full_interval_s, 86400);
    std::ofstream(paths.schedule_file) << "retention-full = 0\n";
    EXPECT_THROW(shale::load_backup_schedule(paths), std::runtime_error);
    std::ofstream(paths.schedule_file) << "no-such-key = 1\n";
    EXPECT_THROW(shale::load_backup_schedule(paths), std::runtime_error);
    std::filesystem::remove_all(dir);
}

}  // namespace
