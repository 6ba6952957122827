/*
 * shard_foreign_keys.cpp — a distributed table's foreign keys as statements
 * for its shards.
 *
 * The definition comes from pg_get_constraintdef with search_path set to
 * pg_catalog (so names print schema-qualified); the parser then locates the
 * child and referenced table names in "ALTER TABLE … ADD CONSTRAINT …", and
 * each shard's statement puts shard names in their place. Used when a
 * foreign key is added (ddl_propagation.cpp) and when a shard moves or
 * splits (operations/), so both build the same constraint.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/genam.h"
#include "access/relation.h"
#include "utils/fmgroids.h"
#include "catalog/pg_constraint.h"
#include "parser/parser.h"
#include "utils/guc.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
}

#include "shale/metadata/shard_foreign_keys.h"
#include "shale/metadata/metadata_cache.h"

int
qualified_name_length(const char *text)
{
	const char *c = text;
	for (;;)
	{
		while (*c == ' ')
			c++;
		if (*c == '"')
		{
			c++;
			while (*c && !(*c == '"' && c[1] != '"'))
				c += (*c == '"') ? 2 : 1;
			if (*c == '"')
				c++;
		}
		else
			while (*c && (isalnum((unsigned char) *c) || *c == '_' || *c == '$' || (unsigned char) *c >= 0x80))
				c++;
		const char *after = c;
		while (*after == ' ')
			after++;
		if (*after != '.')
			return (int) (c - text);
		c = after + 1;
	}
}

/* Finds the two table names of the key's ALTER TABLE … ADD CONSTRAINT … REFERENCES statement. */
static void
locate_foreign_key_tables(ShardForeignKey *key)
{
	List *parse_trees = raw_parser(key->sql, RAW_PARSE_DEFAULT);
	AlterTableStmt *alter = (AlterTableStmt *) ((RawStmt *) linitial(parse_trees))->stmt;
	AlterTableCmd *command = (AlterTableCmd *) linitial(alter->cmds);
	Constraint *constraint = (Constraint *) command->def;
	key->child_offset = alter->relation->location;
	key->child_length = qualified_name_length(key->sql + key->child_offset);
	key->parent_offset = constraint->pktable->location;
	key->parent_length = qualified_name_length(key->sql + key->parent_offset);
}

ShardForeignKey *
shard_foreign_key_template(Oid table_id, const char *constraint_name)
{
	Oid constraint_id = get_relation_constraint_oid(table_id, constraint_name, false);
	HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(constraint_id));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "shale: constraint %u not found", constraint_id);
	ShardForeignKey *key = (ShardForeignKey *) palloc0(sizeof(ShardForeignKey));
	key->referenced_id = ((Form_pg_constraint) GETSTRUCT(tuple))->confrelid;
	key->validated = ((Form_pg_constraint) GETSTRUCT(tuple))->convalidated;
	ReleaseSysCache(tuple);
	key->name = pstrdup(constraint_name);
	int guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	char *definition = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef, ObjectIdGetDatum(constraint_id)));
	key->sql = psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s",
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(table_id)), get_rel_name(table_id)),
						quote_identifier(constraint_name), definition);
	AtEOXact_GUC(true, guc_level);
	locate_foreign_key_tables(key);
	return key;
}

List *
table_constraint_names(Oid table_id, const char *kinds)
{
	List *names = NIL;
	Relation constraints = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(table_id));
	SysScanDesc scan = systable_beginscan(constraints, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	HeapTuple tuple;
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint constraint = (Form_pg_constraint) GETSTRUCT(tuple);
		if (strchr(kinds, constraint->contype) != NULL)
			names = lappend(names, makeString(pstrdup(NameStr(constraint->conname))));
	}
	systable_endscan(scan);
	table_close(constraints, AccessShareLock);
	return names;
}

List *
table_foreign_keys(Oid table_id)
{
	List *keys = NIL;
	ListCell *cell;
	foreach (cell, table_constraint_names(table_id, "f"))
		keys = lappend(keys, shard_foreign_key_template(table_id, strVal(lfirst(cell))));
	return keys;
}

char *
shard_foreign_key_command(const ShardForeignKey *key, const char *child_shard_name, const char *parent_shard_name)
{
	return psprintf("%.*s%s%.*s%s%s", key->child_offset, key->sql, child_shard_name,
					key->parent_offset - key->child_offset - key->child_length,
					key->sql + key->child_offset + key->child_length, parent_shard_name,
					key->sql + key->parent_offset + key->parent_length);
}

/* The int2 array column of a pg_constraint row as an IntList of attribute numbers. */
static List *
constraint_columns(HeapTuple tuple, AttrNumber column)
{
	bool is_null;
	Datum value = SysCacheGetAttr(CONSTROID, tuple, column, &is_null);
	List *columns = NIL;
	if (is_null)
		return NIL;
	Datum *elements;
	int count;
	deconstruct_array(DatumGetArrayTypeP(value), INT2OID, 2, true, TYPALIGN_SHORT, &elements, NULL, &count);
	for (int k = 0; k < count; k++)
		columns = lappend_int(columns, DatumGetInt16(elements[k]));
	return columns;
}

void
check_foreign_key_shape(const ForeignKeyHolder *holder, const char *constraint_name, Oid referenced_id,
						List *child_columns, List *parent_columns)
{
	const char *key_name = constraint_name != NULL ? psprintf("\"%s\"", constraint_name) : pstrdup("(unnamed)");
	const char *table_name = get_rel_name(holder->table_id);
	const char *referenced_name = get_rel_name(referenced_id);
	const DistributedTable *referenced = distributed_table_lookup(referenced_id);
	bool self = referenced_id == holder->table_id;
	if (!self && referenced == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("foreign key %s of \"%s\" references \"%s\", which is neither distributed nor a reference table",
							   key_name, table_name, referenced_name),
						errhint("Make \"%s\" a reference table with shale.make_reference_table(), or distribute it "
								"co-located with \"%s\", before the key.", referenced_name, table_name)));
	if (!self && referenced->kind == TABLE_KIND_REFERENCE)
		return;
	if (holder->reference)
	{
		if (!self)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("foreign key %s of reference table \"%s\" references distributed table \"%s\"", key_name,
								   table_name, referenced_name),
							errhint("A reference table can only reference other reference tables.")));
		return;
	}
	if (!self && (holder->colocation_id == 0 || referenced->colocation_id != holder->colocation_id))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("foreign key %s of \"%s\" references \"%s\", which is not co-located with it", key_name,
							   table_name, referenced_name),
						errhint("Distribute the two tables with colocate_with so that matching rows share a worker.")));
	if (parent_columns == NIL)
		return; /* the referenced primary key: checked from the catalog once the key exists */
	AttrNumber referenced_attnum = self ? holder->distribution_attnum : referenced->distribution_attnum;
	ListCell *child_cell, *parent_cell;
	forboth (child_cell, child_columns, parent_cell, parent_columns)
		if (lfirst_int(child_cell) == holder->distribution_attnum && lfirst_int(parent_cell) == referenced_attnum)
			return;
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("foreign key %s of \"%s\" must pair its distribution column \"%s\" with \"%s\"", key_name,
						   table_name, get_attname(holder->table_id, holder->distribution_attnum, false),
						   get_attname(referenced_id, referenced_attnum, false)),
					errhint("Rows and the rows they reference must be in the same shard range.")));
}

void
check_shard_foreign_key(const ForeignKeyHolder *holder, const char *constraint_name)
{
	Oid constraint_id = get_relation_constraint_oid(holder->table_id, constraint_name, false);
	HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(constraint_id));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "shale: constraint %u not found", constraint_id);
	Oid referenced_id = ((Form_pg_constraint) GETSTRUCT(tuple))->confrelid;
	List *child_columns = constraint_columns(tuple, Anum_pg_constraint_conkey);
	List *parent_columns = constraint_columns(tuple, Anum_pg_constraint_confkey);
	ReleaseSysCache(tuple);
	check_foreign_key_shape(holder, constraint_name, referenced_id, child_columns, parent_columns);
}

/*
 * The first foreign key of a table that is neither distributed nor a
 * reference table pointing at one that is; false if it has none. Reads the
 * relcache's list, so it is cheap enough for every write to a local table.
 */
static bool
local_key_to_distributed(Oid table_id, char **key_name, Oid *referenced_id)
{
	if (distributed_table_lookup(table_id) != NULL)
		return false;
	/* relation_open: the target of an INSERT may be a view with INSTEAD OF triggers, or a foreign table */
	Relation relation = relation_open(table_id, AccessShareLock);
	bool found = false;
	ListCell *cell;
	foreach (cell, RelationGetFKeyList(relation))
	{
		ForeignKeyCacheInfo *key = (ForeignKeyCacheInfo *) lfirst(cell);
		if (distributed_table_lookup(key->confrelid) == NULL)
			continue;
		*key_name = get_constraint_name(key->conoid);
		*referenced_id = key->confrelid;
		found = true;
		break;
	}
	relation_close(relation, AccessShareLock);
	return found;
}

/* "distributed table" or "reference table", for messages. */
static const char *
table_kind_name(Oid table_id)
{
	return distributed_table_lookup(table_id)->kind == TABLE_KIND_REFERENCE ? "reference table" : "distributed table";
}

void
refuse_local_rows_with_keys(Oid table_id, bool existing_rows)
{
	char *key;
	Oid referenced_id;
	if (!local_key_to_distributed(table_id, &key, &referenced_id))
		return;
	const char *table_name = get_rel_name(table_id);
	const char *referenced_name = get_rel_name(referenced_id);
	if (existing_rows)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "shale: SPI_connect failed");
		char *sql = psprintf("SELECT 1 FROM ONLY %s LIMIT 1",
							 quote_qualified_identifier(get_namespace_name(get_rel_namespace(table_id)), table_name));
		if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "shale: could not read \"%s\"", table_name);
		bool empty = SPI_processed == 0;
		SPI_finish();
		if (empty)
			return;
	}
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("table \"%s\" must be distributed before it holds rows: its foreign key \"%s\" references %s \"%s\"",
						   table_name, key, table_kind_name(referenced_id), referenced_name),
					errdetail("Rows of \"%s\" change on the worker nodes, where a table on the router could not check them.",
							  referenced_name),
					distributed_table_lookup(referenced_id)->kind == TABLE_KIND_REFERENCE
						? errhint("Distribute \"%s\" first, with shale.distribute_table() or shale.make_reference_table(); "
								  "its shards keep the key.", table_name)
						: errhint("Distribute \"%s\" first, co-located with \"%s\": shale.distribute_table(..., "
								  "colocate_with => '%s'); its shards keep the key.", table_name, referenced_name,
								  referenced_name)));
}
