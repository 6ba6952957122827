/*
 * scan_path.h — remote scans of distributed and reference tables inside
 * plans that PostgreSQL makes (the multi-shard path).
 */
#ifndef SHALE_SCAN_PATH_H
#define SHALE_SCAN_PATH_H

void scan_path_init(void);

/*
 * While a SELECT … FOR UPDATE / SHARE is planned (NULL after): the remote
 * scan of the locked table carries the locking clause to the workers, in the
 * distributed transaction, and refuses filters it could not send with it.
 */
void scan_path_lock_rows(const RowMarkClause *mark);

#endif
