// insights_test.cpp — the pure parts of query insights: windows and the names
// of an index's shard copies (coordinator/common/insights_*.h).
#include <gtest/gtest.h>

#include "common/insights_advice.h"
#include "common/insights_report.h"

TEST(InsightsWindow, ReadsMinutesHoursAndDays)
{
    EXPECT_EQ(shale::parse_insights_window("15m"), 900);
    EXPECT_EQ(shale::parse_insights_window("1h"), 3600);
    EXPECT_EQ(shale::parse_insights_window("24h"), 86400);
    EXPECT_EQ(shale::parse_insights_window("7d"), 7 * 86400);
    EXPECT_EQ(shale::parse_insights_window("1m"), 60);
}

TEST(InsightsWindow, RefusesAnythingElse)
{
    for (const char *bad : {"", "m", "0m", "8d", "169h", "1w", "-1h", "1.5h", "15", "15 m", "99999999d", "1H", "015m", "01h"})
        EXPECT_FALSE(shale::parse_insights_window(bad).has_value()) << bad;
}

TEST(ShardIndexName, AppendsTheShardIdWithinSixtyThreeBytes)
{
    EXPECT_EQ(shale::shard_index_name("orders_status_idx", 102008), "orders_status_idx_102008");
    std::string long_name(70, 'a');
    std::string shard_name = shale::shard_index_name(long_name, 102008);
    EXPECT_EQ(shard_name.size(), 63u);
    EXPECT_EQ(shard_name.substr(56), "_102008");
    // a two-byte character across the cut is left out whole
    std::string accented = std::string(55, 'a') + "\xc3\xa9" + "bbbb";
    EXPECT_EQ(shale::shard_index_name(accented, 102008), std::string(55, 'a') + "_102008");
}
