/*
 * shard_ids.h — new shard ids, from the catalog's sequence shale.shard_id_seq.
 */
#ifndef SHALE_SHARD_IDS_H
#define SHALE_SHARD_IDS_H

/* A new shard id (nextval: not transactional, so an id is never reused). */
int64 next_shard_id(void);

#endif
