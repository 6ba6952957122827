/*
 * hash_ranges.c — range arithmetic over the int64 hash space (see hash_ranges.h).
 *
 * Plain C so that the PGXS build of the extension and the CMake build of the
 * daemon and the unit tests compile the very same file.
 */
#include "hash_ranges.h"

/* The space holds 2^64 values; work in unsigned offsets from INT64_MIN. */
static uint64_t
offset_of(int64_t value)
{
	return (uint64_t) value - (uint64_t) INT64_MIN;
}

static int64_t
value_at(uint64_t offset)
{
	return (int64_t) (offset + (uint64_t) INT64_MIN);
}

ShaleHashRange
shale_uniform_range(int count, int index)
{
	/* 2^64 / count, computed without overflowing: (2^64 - 1) / count is exact
	 * unless count divides 2^64, where it is one less; fix that case up. */
	uint64_t width = UINT64_MAX / (uint64_t) count;
	ShaleHashRange range;

	if ((UINT64_MAX % (uint64_t) count) == (uint64_t) count - 1)
		width += 1;
	range.min = value_at(width * (uint64_t) index);
	range.max = (index == count - 1) ? INT64_MAX : value_at(width * (uint64_t) (index + 1) - 1);
	return range;
}

int64_t
shale_range_midpoint(ShaleHashRange range)
{
	uint64_t low = offset_of(range.min);
	uint64_t high = offset_of(range.max);
	return value_at(low + (high - low) / 2);
}

bool
shale_ranges_cover_space(const ShaleHashRange *sorted_ranges, int count)
{
	int i;

	if (count < 1 || sorted_ranges[0].min != INT64_MIN || sorted_ranges[count - 1].max != INT64_MAX)
		return false;
	for (i = 0; i < count; i++)
	{
		if (sorted_ranges[i].min > sorted_ranges[i].max)
			return false;
		if (i > 0 && (sorted_ranges[i - 1].max == INT64_MAX ||
					  sorted_ranges[i].min != sorted_ranges[i - 1].max + 1))
			return false;
	}
	return true;
}

int
shale_find_range_index(const ShaleHashRange *sorted_ranges, int count, int64_t hash)
{
	int low = 0;
	int high = count - 1;
	while (low <= high)
	{
		int middle = low + (high - low) / 2;

		if (hash < sorted_ranges[middle].min)
			high = middle - 1;
		else if (hash > sorted_ranges[middle].max)
			low = middle + 1;
		else
			return middle;
	}
	return -1;
}
