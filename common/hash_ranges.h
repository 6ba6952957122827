/*
 * hash_ranges.h — pure arithmetic over the int64 hash space that shards divide.
 *
 * Shared by the extension (which assigns ranges when a table is distributed and
 * finds the shard for a hash value) and by the daemon (which computes split
 * points). No PostgreSQL headers: it is unit-tested on its own.
 *
 * A shard owns a contiguous inclusive range [min, max] of int64. The shards of a
 * table cover the whole space without overlap.
 */
#ifndef SHALE_COMMON_HASH_RANGES_H
#define SHALE_COMMON_HASH_RANGES_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest shard count distribute_table accepts; more shards than this only costs. */
#define SHALE_MAX_SHARD_COUNT 4096

typedef struct ShaleHashRange
{
	int64_t min; /* inclusive */
	int64_t max; /* inclusive */
} ShaleHashRange;

/*
 * shale_uniform_range returns the index-th of count equal ranges that cover the
 * whole int64 space in ascending order. The last range absorbs the remainder.
 * Requires 1 <= count and 0 <= index < count.
 */
ShaleHashRange shale_uniform_range(int count, int index);

/*
 * shale_range_midpoint returns the split point of a range: the last value of the
 * lower half. Requires range.min < range.max.
 */
int64_t shale_range_midpoint(ShaleHashRange range);

/*
 * shale_ranges_cover_space checks that ranges, sorted by min, cover the whole
 * int64 space exactly once (no gap, no overlap).
 */
bool shale_ranges_cover_space(const ShaleHashRange *sorted_ranges, int count);

/*
 * shale_find_range_index returns the index of the range holding hash in an
 * array of ranges sorted by min that covers the space, by binary search;
 * -1 when no range holds it.
 */
int shale_find_range_index(const ShaleHashRange *sorted_ranges, int count, int64_t hash);

#ifdef __cplusplus
}
#endif

#endif /* SHALE_COMMON_HASH_RANGES_H */
