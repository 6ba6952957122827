// hash_ranges_test.cpp — unit tests of the hash-range arithmetic in common/.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

extern "C" {
#include "hash_ranges.h"
}

namespace {

std::vector<ShaleHashRange> uniform_ranges(int count)
{
	std::vector<ShaleHashRange> ranges;
	for (int i = 0; i < count; i++)
		ranges.push_back(shale_uniform_range(count, i));
	return ranges;
}

TEST(UniformRange, OneShardCoversEverything)
{
	ShaleHashRange range = shale_uniform_range(1, 0);
	EXPECT_EQ(range.min, INT64_MIN);
	EXPECT_EQ(range.max, INT64_MAX);
}

TEST(UniformRange, TwoShardsSplitAtZero)
{
	EXPECT_EQ(shale_uniform_range(2, 0).max, -1);
	EXPECT_EQ(shale_uniform_range(2, 1).min, 0);
}

TEST(UniformRange, EveryCountCoversTheSpaceExactlyOnce)
{
	for (int count : {1, 2, 3, 7, 32, 33, 100, 1000, SHALE_MAX_SHARD_COUNT})
	{
		std::vector<ShaleHashRange> ranges = uniform_ranges(count);
		EXPECT_TRUE(shale_ranges_cover_space(ranges.data(), count)) << count;
	}
}

TEST(UniformRange, WidthsDifferByAtMostTheRemainder)
{
	std::vector<ShaleHashRange> ranges = uniform_ranges(3);
	uint64_t first = (uint64_t) ranges[0].max - (uint64_t) ranges[0].min;
	uint64_t second = (uint64_t) ranges[1].max - (uint64_t) ranges[1].min;
	EXPECT_EQ(first, second);
}

TEST(CoverSpace, DetectsGapOverlapAndShortEnds)
{
	std::vector<ShaleHashRange> ranges = uniform_ranges(4);
	std::vector<ShaleHashRange> gap = ranges;
	gap[1].max -= 1;
	EXPECT_FALSE(shale_ranges_cover_space(gap.data(), 4));
	std::vector<ShaleHashRange> overlap = ranges;
	overlap[2].min -= 1;
	EXPECT_FALSE(shale_ranges_cover_space(overlap.data(), 4));
	std::vector<ShaleHashRange> short_start = ranges;
	short_start[0].min += 1;
	EXPECT_FALSE(shale_ranges_cover_space(short_start.data(), 4));
	std::vector<ShaleHashRange> short_end = ranges;
	short_end[3].max -= 1;
	EXPECT_FALSE(shale_ranges_cover_space(short_end.data(), 4));
	EXPECT_FALSE(shale_ranges_cover_space(ranges.data(), 0));
}

TEST(FindRange, FindsTheRangeHoldingEachBoundary)
{
	std::vector<ShaleHashRange> ranges = uniform_ranges(32);
	for (int i = 0; i < 32; i++)
	{
		EXPECT_EQ(shale_find_range_index(ranges.data(), 32, ranges[i].min), i);
		EXPECT_EQ(shale_find_range_index(ranges.data(), 32, ranges[i].max), i);
	}
	EXPECT_EQ(shale_find_range_index(ranges.data(), 32, 0), 16);
}

TEST(FindRange, MissingRangeGivesMinusOne)
{
	ShaleHashRange only = {0, 10};
	EXPECT_EQ(shale_find_range_index(&only, 1, -1), -1);
	EXPECT_EQ(shale_find_range_index(&only, 1, 11), -1);
	EXPECT_EQ(shale_find_range_index(&only, 1, 5), 0);
}

TEST(Midpoint, SplitsARangeInTwoHalves)
{
	ShaleHashRange whole = {INT64_MIN, INT64_MAX};
	EXPECT_EQ(shale_range_midpoint(whole), -1);
	ShaleHashRange small = {10, 13};
	EXPECT_EQ(shale_range_midpoint(small), 11);
	ShaleHashRange pair = {5, 6};
	EXPECT_EQ(shale_range_midpoint(pair), 5);
}

}  // namespace
