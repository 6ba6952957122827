/*
 * shard_pinning.h — finds the one shard a statement needs, if there is one.
 *
 * A distributed table is pinned when its distribution column equals a constant
 * or a parameter (directly, or through an equality with the distribution
 * column of a co-located table). A statement is a router statement when every
 * distributed table in it, at every query level, is pinned to the same hash
 * range and nothing in it needs the router (local tables, functions the
 * workers lack, sequence functions).
 */
#ifndef SHALE_SHARD_PINNING_H
#define SHALE_SHARD_PINNING_H

typedef struct RouterPin
{
	bool is_router;		   /* the whole statement can run on one worker group */
	bool pin_known;		   /* the hash is known now */
	int64 pin_hash;
	Param *pin_parameter;  /* else: the parameter that gives the value at execution */
	Oid pin_hash_function; /* hash function for the parameter's type */
	Oid pin_collation;
	Const *pin_const;	   /* pin_known from a constant: that constant (the tenant in query insights) */
	bool has_distributed_table; /* false: reference tables only */
	const char *reason;	   /* why not, for debugging */
} RouterPin;

/* Analyses a whole statement (all query levels). */
RouterPin analyse_router_pin(Query *query, ParamListInfo bound_parameters);

/*
 * Shards of one table that can hold rows matching the given restriction
 * clauses (plain expressions on the table's Vars with varno relid): the shard
 * ids as a List of int64 *, or NIL when every shard may match. *no_shard is
 * set when no shard can match (e.g. key = NULL).
 */
List *prune_shards(const DistributedTable *table, Index relid, List *clauses, ParamListInfo bound_parameters,
				   bool *no_shard);

/*
 * Whether every distributed table in a statement (at any query level) is
 * joined to the target table's distribution column by equalities of
 * distribution columns of co-located tables: then each shard of the target
 * finds every row it needs in the co-located shards of its own worker, and
 * the statement can run shard by shard.
 */
bool statement_is_colocated_on(Query *query, Index target_relation);

/*
 * binary_operation returns a two-argument operator clause with its operands
 * (relabelings stripped, a Var first when there is one), or NULL for any
 * other clause.
 */
OpExpr *binary_operation(Node *clause, Node **left, Node **right);

/* Whether an expression tree may be sent to a worker (built-in functions, no sequence functions). */
bool expression_is_pushable(Node *node);

#endif
