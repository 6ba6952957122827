/*
 * remote_scan.h — the CustomScan that runs SQL on worker groups and returns
 * its rows to the router's executor.
 *
 * One node type serves every distributed plan; its mode says how the work is
 * split into tasks:
 *   REMOTE_ROUTER      the whole statement on the one shard its pin selects;
 *   REMOTE_EVERY_SHARD a single-table statement on each shard that survives
 *                      pruning (a scan under PostgreSQL's own plan on the
 *                      router, or a multi-shard UPDATE / DELETE);
 *   REMOTE_INSERT      rows from a child plan, routed to their shards.
 */
#ifndef SHALE_REMOTE_SCAN_H
#define SHALE_REMOTE_SCAN_H

extern "C" {
#include "nodes/extensible.h"
}

typedef enum RemoteMode
{
	REMOTE_ROUTER = 1,
	REMOTE_EVERY_SHARD = 2,
	REMOTE_INSERT = 3
} RemoteMode;

/* Flags in RemotePlan.flags. */
#define REMOTE_WRITES 0x01		/* the statement writes on the workers */
#define REMOTE_RETURNS_ROWS 0x02 /* rows come back (SELECT or RETURNING) */
#define REMOTE_ALL_PLACEMENTS 0x04 /* write every placement (reference tables) */
#define REMOTE_LOCKS_ROWS 0x08	   /* FOR UPDATE / SHARE: the row locks are held until the local transaction ends */

/*
 * What a remote CustomScan runs, kept in custom_private as a List:
 *   [mode, flags, template, result attnos, table id, pin hash text,
 *    pin hash function, pin collation, pruned shards, insert info, pin constant]
 * custom_exprs holds the pin expression (a Param known only at execution) or
 * nothing.
 */
typedef struct RemotePlan
{
	RemoteMode mode;
	int flags;
	List *shard_template;	 /* see query_deparse.h */
	List *result_attnos;	 /* EVERY_SHARD scans: relation attno of each result column */
	Oid table_id;			 /* EVERY_SHARD / INSERT: the distributed table */
	bool pin_known;			 /* ROUTER: the hash is known at plan time */
	int64 pin_hash;
	Oid pin_hash_function;	 /* ROUTER with a Param pin: hash function for its type */
	Oid pin_collation;
	List *pruned_shard_ids;	 /* EVERY_SHARD: shards to visit; NIL = all */
	List *insert_info;		 /* INSERT: see insert_planner.h */
	Const *pin_const;		 /* ROUTER pinned by a constant: it (the tenant in query insights), or NULL */
} RemotePlan;

void remote_scan_init(void);

/* A CustomScan node with the given plan; the caller sets targetlist, tlists, scanrelid. */
CustomScan *make_remote_scan(const RemotePlan *plan);

/* Reads the plan back from a CustomScan's custom_private. */
RemotePlan remote_plan_from(const CustomScan *scan);

/*
 * The statement's parameters ($1 …) in text form, with the types workers
 * also know (others 0, left to the worker to infer).
 */
void parameters_as_text(ParamListInfo parameters, int *count, Oid **types, const char ***values);

/* Whether a plan node is one of ours. */
bool is_remote_scan(Plan *plan);

#endif
