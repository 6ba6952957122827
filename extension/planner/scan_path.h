/*
 * scan_path.h — remote scans of distributed and reference tables inside
 * plans that PostgreSQL makes (the multi-shard path).
 */
#ifndef SHALE_SCAN_PATH_H
#define SHALE_SCAN_PATH_H

void scan_path_init(void);

#endif
