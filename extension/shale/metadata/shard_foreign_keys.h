/*
 * shard_foreign_keys.h — the foreign keys of a distributed table, as ALTER
 * TABLE statements for its shards: each shard references the shard of the
 * referenced table that holds the same hash range on the same worker group
 * (a co-located table), or the group's copy of a reference table.
 */
#ifndef SHALE_SHARD_FOREIGN_KEYS_H
#define SHALE_SHARD_FOREIGN_KEYS_H

/* One foreign key of a table, as a statement with the two table names located in it. */
typedef struct ShardForeignKey
{
	char *name;		   /* the constraint's name */
	char *sql;		   /* ALTER TABLE <child> ADD CONSTRAINT name <definition> */
	int child_offset;  /* where the child table name is */
	int child_length;
	int parent_offset; /* where the referenced table name is */
	int parent_length;
	Oid referenced_id;
	bool validated; /* false for a key added NOT VALID and not validated since */
} ShardForeignKey;

/* The foreign key named constraint_name of table_id, from the catalog. */
ShardForeignKey *shard_foreign_key_template(Oid table_id, const char *constraint_name);

/*
 * The names (String nodes) of the table's constraints of the given kinds
 * (pg_constraint.contype letters, e.g. "f", "pux"). Taken before and after an
 * ALTER TABLE runs on the router, they tell which constraints it added, under
 * the names PostgreSQL chose for unnamed ones.
 */
List *table_constraint_names(Oid table_id, const char *kinds);

/* The foreign keys (ShardForeignKey *) the table holds (not those that reference it). */
List *table_foreign_keys(Oid table_id);

/* The key's ALTER TABLE for one shard: child and referenced shard names (quoted, qualified) put in. */
char *shard_foreign_key_command(const ShardForeignKey *key, const char *child_shard_name, const char *parent_shard_name);

/* What a foreign key check needs to know of the referencing table (it may not be in the catalog yet). */
typedef struct ForeignKeyHolder
{
	Oid table_id;
	bool reference;					/* a reference table (else distributed) */
	int colocation_id;				/* 0: a new co-location group of its own */
	AttrNumber distribution_attnum; /* of a distributed table */
} ForeignKeyHolder;

/*
 * Refuses a foreign key its shards could not check on their own worker. A
 * key may reference a reference table, or (from a distributed table) a
 * co-located distributed table or the table itself, pairing the two
 * distribution columns.
 */
void check_shard_foreign_key(const ForeignKeyHolder *holder, const char *constraint_name);

/*
 * The same rules for a key not created yet (constraint_name may be NULL):
 * the attribute numbers (IntLists) it pairs; parent_columns NIL when the
 * statement leaves them to the referenced primary key (not checked then).
 */
void check_foreign_key_shape(const ForeignKeyHolder *holder, const char *constraint_name, Oid referenced_id,
							 List *child_columns, List *parent_columns);

/*
 * A table that is neither distributed nor a reference table may hold a
 * foreign key to one that is only while it is empty: deletes of the
 * referenced rows happen on the workers, where the router's table could not
 * check them. Refuses a write into such a table (existing_rows false), or a
 * key added to one that has rows (existing_rows true).
 */
void refuse_local_rows_with_keys(Oid table_id, bool existing_rows);

/*
 * The length of the (possibly qualified, possibly quoted) name that starts at
 * text: identifiers joined by dots, as the parser located them.
 */
int qualified_name_length(const char *text);

#endif
