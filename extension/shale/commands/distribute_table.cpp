/*
 * distribute_table.cpp — shale.distribute_table, shale.make_reference_table and
 * shale.undistribute_table.
 *
 * Each runs in the caller's transaction: shards are created and filled over
 * remote transactions on the worker groups, and the catalog rows are written
 * locally, so the whole change commits (with two-phase commit across groups)
 * or leaves nothing behind.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/genam.h"
#include "catalog/catalog.h"
#include "catalog/indexing.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"
}

#include "shale/commands/shard_data_copy.h"
#include "shale/commands/shard_ddl.h"
#include "shale/metadata/shard_foreign_keys.h"
#include "shale/metadata/distribution_hash.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_ids.h"
#include "shale/metadata/shard_names.h"
#include "shale/transaction/remote_transaction.h"

/* The layout a new distributed table gets: ranges, shard ids and groups. */
typedef struct ShardLayout
{
	int shard_count;
	ShaleHashRange *ranges;
	int64 *shard_ids;
	int *group_ids;
	int colocation_id; /* 0 when a new colocation group is needed */
} ShardLayout;

/* Changing where tables live is the cluster administrator's job. */
static void
require_superuser(const char *function_name)
{
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("only a superuser may call %s", function_name),
						errhint("Connect as the cluster's superuser (postgres in a cluster made by shale up).")));
}

static void
require_argument(FunctionCallInfo fcinfo, int argument, const char *name)
{
	if (PG_ARGISNULL(argument))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name),
						errhint("Pass a value for %s.", name)));
}

/* Runs SQL through SPI (the caller has connected) and checks its result kind. */
static void
run_sql(const char *sql, int expected)
{
	int result = SPI_execute(sql, false, 0);
	if (result != expected)
		elog(ERROR, "shale: \"%s\" failed (SPI result %d)", sql, result);
}

/* Whether the table has user triggers (internal ones, like FK triggers, do not count). */
static bool
has_user_triggers(Relation relation)
{
	TriggerDesc *triggers = relation->trigdesc;
	if (triggers == NULL)
		return false;
	for (int i = 0; i < triggers->numtriggers; i++)
		if (!triggers->triggers[i].tgisinternal)
			return true;
	return false;
}

/*
 * find_foreign_key finds a foreign key that references the table from
 * another table, or (held_too) any foreign key the table holds; false if none.
 */
static bool
find_foreign_key(Oid table_id, bool held_too, char **constraint_name, Oid *child_id, Oid *parent_id)
{
	bool found = false;
	Relation constraints = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(constraints, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tuple;
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint constraint = (Form_pg_constraint) GETSTRUCT(tuple);
		if (constraint->contype != CONSTRAINT_FOREIGN)
			continue;
		found = (constraint->confrelid == table_id && constraint->conrelid != table_id) ||
				(held_too && constraint->conrelid == table_id);
		if (found)
		{
			*constraint_name = pstrdup(NameStr(constraint->conname));
			*child_id = constraint->conrelid;
			*parent_id = constraint->confrelid;
		}
	}
	systable_endscan(scan);
	table_close(constraints, AccessShareLock);
	return found;
}

/*
 * check_not_referenced refuses a table another table's foreign key points at:
 * that table would check its rows against the router's emptied copy.
 */
static void
check_not_referenced(Oid table_id, const char *name)
{
	char *key;
	Oid child_id, parent_id;
	if (!find_foreign_key(table_id, false, &key, &child_id, &parent_id))
		return;
	const char *child = get_rel_name(child_id);
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("cannot distribute table \"%s\": foreign key \"%s\" of table \"%s\" references it", name, key, child),
					errdetail("Foreign keys may point from a distributed table to a co-located one or to a reference "
							  "table, once both are distributed."),
					errhint("Drop the key (ALTER TABLE %s DROP CONSTRAINT %s), distribute \"%s\", then distribute "
							"\"%s\" (co-located, or as a reference table) and add the key again.",
							quote_identifier(child), quote_identifier(key), name, child)));
}

/* Refuses a foreign key of the table its shards could not check (before anything is created). */
static void
check_own_foreign_keys(const ForeignKeyHolder *holder)
{
	ListCell *cell;
	foreach (cell, table_foreign_keys(holder->table_id))
		check_shard_foreign_key(holder, ((ShardForeignKey *) lfirst(cell))->name);
}

/*
 * check_table_can_be_placed refuses tables Shale cannot hold in shards yet,
 * with an error that says why and what to do instead.
 */
static void
check_table_can_be_placed(Relation relation, const char *function_name)
{
	const char *name = RelationGetRelationName(relation);
	Oid table_id = RelationGetRelid(relation);
	char kind = relation->rd_rel->relkind;
	if (kind == RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cannot distribute partitioned table \"%s\"", name),
						errhint("Distribute an unpartitioned table; Shale's shards already split it by hash.")));
	if (kind != RELKIND_RELATION)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a table", name),
						errhint("%s takes an ordinary table.", function_name)));
	if (relation->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("cannot distribute temporary table \"%s\"", name),
						errhint("Temporary tables exist only in this session on the router.")));
	Oid namespace_id = RelationGetNamespace(relation);
	char *schema_name = get_namespace_name(namespace_id);
	if (IsCatalogNamespace(namespace_id) || strcmp(schema_name, "shale") == 0 || strcmp(schema_name, "information_schema") == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("cannot distribute \"%s.%s\": it belongs to a system schema", schema_name, name),
						errhint("Only tables of your own schemas can be distributed.")));
	if (distributed_table_lookup(table_id) != NULL)
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT), errmsg("table \"%s\" is already distributed", name),
						errhint("See SELECT * FROM shale.tables; shale.undistribute_table() reverts it.")));
	if (has_superclass(table_id) || has_subclass(table_id))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cannot distribute table \"%s\": it takes part in table inheritance", name),
						errhint("Distribute tables that neither inherit nor are inherited from.")));
	check_not_referenced(table_id, name);
	if (has_user_triggers(relation))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cannot distribute table \"%s\": it has triggers", name),
						errhint("Triggers on the router would not fire for rows in shards; drop them first.")));
}

/*
 * check_unique_indexes_include_column refuses a table whose primary key,
 * unique constraints or unique indexes do not all include the distribution
 * column: their uniqueness could not be enforced inside single shards.
 */
static void
check_unique_indexes_include_column(Relation relation, AttrNumber attnum, const char *column_name)
{
	List *index_ids = RelationGetIndexList(relation);
	ListCell *cell;
	foreach (cell, index_ids)
	{
		HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(cell)));
		if (!HeapTupleIsValid(tuple))
			continue;
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
		char *index_name = get_rel_name(index->indexrelid);
		if (index->indisexclusion)
		{
			ReleaseSysCache(tuple);
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("cannot distribute table \"%s\": exclusion constraint \"%s\" cannot be enforced across shards",
								   RelationGetRelationName(relation), index_name),
							errhint("Drop the exclusion constraint first.")));
		}
		bool includes_column = false;
		for (int k = 0; k < index->indnkeyatts; k++)
			includes_column |= index->indkey.values[k] == attnum;
		bool unique = index->indisunique;
		ReleaseSysCache(tuple);
		if (unique && !includes_column)
			ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
							errmsg("cannot distribute table \"%s\": unique index \"%s\" does not include the distribution column \"%s\"",
								   RelationGetRelationName(relation), index_name, column_name),
							errhint("Every PRIMARY KEY and UNIQUE constraint must include the distribution column: "
									"add it to the constraint, or distribute by a column they all include.")));
	}
}

static List *
require_worker_groups(void)
{
	List *group_ids = writable_worker_group_ids();
	if (group_ids == NIL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE), errmsg("no worker groups are registered"),
						errhint("Add a worker node first: SELECT shale.add_node('127.0.0.1', 5433);")));
	return group_ids;
}

/* Copies the ranges and groups of an existing table, for a co-located table. */
static ShardLayout
layout_like(const DistributedTable *existing)
{
	ShardLayout layout;
	layout.shard_count = existing->shard_count;
	layout.ranges = (ShaleHashRange *) palloc(sizeof(ShaleHashRange) * layout.shard_count);
	layout.shard_ids = (int64 *) palloc(sizeof(int64) * layout.shard_count);
	layout.group_ids = (int *) palloc(sizeof(int) * layout.shard_count);
	layout.colocation_id = existing->colocation_id;
	for (int i = 0; i < layout.shard_count; i++)
	{
		layout.ranges[i] = existing->ranges[i];
		layout.group_ids[i] = existing->shards[i].placement_group_ids[0];
	}
	return layout;
}

/* Equal ranges spread round-robin over the worker groups, in a new colocation group. */
static ShardLayout
uniform_layout(int shard_count, List *group_ids)
{
	ShardLayout layout;
	layout.shard_count = shard_count;
	layout.ranges = (ShaleHashRange *) palloc(sizeof(ShaleHashRange) * shard_count);
	layout.shard_ids = (int64 *) palloc(sizeof(int64) * shard_count);
	layout.group_ids = (int *) palloc(sizeof(int) * shard_count);
	layout.colocation_id = 0;
	for (int i = 0; i < shard_count; i++)
	{
		layout.ranges[i] = shale_uniform_range(shard_count, i);
		layout.group_ids[i] = list_nth_int(group_ids, i % list_length(group_ids));
	}
	return layout;
}

/*
 * implicit_colocation_partner finds a distributed table whose colocation group
 * the new table can join: same distribution type and collation, same shard
 * count. Tables distributed alike are co-located by default, so joins on their
 * distribution columns stay inside one worker group.
 */
static const DistributedTable *
implicit_colocation_partner(Oid type_id, Oid collation, int shard_count)
{
	run_sql("SELECT table_id::oid FROM shale.distributed_table WHERE kind = 'distributed' "
			"ORDER BY colocation_id, table_id::oid",
			SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool is_null;
		Oid candidate_id = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &is_null));
		const DistributedTable *candidate = distributed_table_lookup(candidate_id);
		if (candidate != NULL && candidate->distribution_type == type_id &&
			candidate->distribution_collation == collation && candidate->shard_count == shard_count)
			return candidate;
	}
	return NULL;
}

/* Sends the commands to each group in one round trip, all groups in parallel. */
static void
run_on_groups_in_parallel(List *group_ids, StringInfoData *commands_per_group)
{
	ListCell *cell;
	int index = 0;
	foreach (cell, group_ids)
	{
		if (commands_per_group[index].len > 0)
			worker_connection_send(remote_transaction_connection(lfirst_int(cell), true), commands_per_group[index].data);
		index++;
	}
	index = 0;
	foreach (cell, group_ids)
	{
		if (commands_per_group[index].len > 0)
		{
			PGresult *result = worker_connection_receive(remote_transaction_connection(lfirst_int(cell), true));
			if (result != NULL)
				PQclear(result);
		}
		index++;
	}
}

/* The groups a table's shards go to: every group for a reference table, else those of the layout. */
static List *
layout_group_ids(const ShardLayout *layout, List *reference_group_ids)
{
	List *group_ids = reference_group_ids;
	if (group_ids == NIL)
		for (int i = 0; i < layout->shard_count; i++)
			group_ids = list_append_unique_int(group_ids, layout->group_ids[i]);
	return group_ids;
}

/* One empty command string per group, for run_on_groups_in_parallel. */
static StringInfoData *
group_commands(int group_total)
{
	StringInfoData *commands = (StringInfoData *) palloc(sizeof(StringInfoData) * group_total);
	for (int g = 0; g < group_total; g++)
		initStringInfo(&commands[g]);
	return commands;
}

/*
 * create_shard_tables creates each shard on its groups (every group for a
 * reference table), one multi-statement command per group.
 */
static void
create_shard_tables(Oid table_id, const ShardLayout *layout, List *reference_group_ids)
{
	List *group_ids = layout_group_ids(layout, reference_group_ids);
	int group_total = list_length(group_ids);
	StringInfoData *commands = group_commands(group_total);
	char *schema_name = get_namespace_name(get_rel_namespace(table_id));
	for (int g = 0; g < group_total; g++)
	{
		appendStringInfo(&commands[g], "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS %s; ",
						 quote_identifier(schema_name));
	}
	for (int i = 0; i < layout->shard_count; i++)
	{
		List *shard_commands = shard_create_commands(table_id, layout->shard_ids[i]);
		for (int g = 0; g < group_total; g++)
		{
			if (reference_group_ids == NIL && list_nth_int(group_ids, g) != layout->group_ids[i])
				continue;
			ListCell *cell;
			foreach (cell, shard_commands)
				appendStringInfo(&commands[g], "%s; ", (char *) lfirst(cell));
		}
	}
	for (int g = 0; g < group_total; g++)
		appendStringInfoString(&commands[g], "RESET client_min_messages");
	run_on_groups_in_parallel(group_ids, commands);
}

/*
 * add_shard_foreign_keys gives every shard of a newly placed table the
 * table's foreign keys, referencing the shard of the same range of a
 * co-located table (or of the table itself) or the group's copy of a
 * reference table. The workers check the copied rows as the keys are added.
 */
static void
add_shard_foreign_keys(Oid table_id, const ShardLayout *layout, List *reference_group_ids)
{
	List *keys = table_foreign_keys(table_id);
	if (keys == NIL)
		return;
	List *group_ids = layout_group_ids(layout, reference_group_ids);
	int group_total = list_length(group_ids);
	StringInfoData *commands = group_commands(group_total);
	for (int i = 0; i < layout->shard_count; i++)
	{
		char *child = shard_qualified_name(table_id, layout->shard_ids[i]);
		ListCell *cell;
		foreach (cell, keys)
		{
			ShardForeignKey *key = (ShardForeignKey *) lfirst(cell);
			const DistributedTable *referenced = distributed_table_lookup(key->referenced_id);
			char *parent = key->referenced_id == table_id ? child
						   : referenced->kind == TABLE_KIND_REFERENCE
							   ? shard_qualified_name(key->referenced_id, referenced->shards[0].shard_id)
							   : shard_qualified_name(key->referenced_id, shard_for_hash(referenced, layout->ranges[i].min)->shard_id);
			char *command = shard_foreign_key_command(key, child, parent);
			for (int g = 0; g < group_total; g++)
				if (reference_group_ids != NIL || list_nth_int(group_ids, g) == layout->group_ids[i])
					appendStringInfo(&commands[g], "%s; ", command);
		}
	}
	run_on_groups_in_parallel(group_ids, commands);
}

/* Writes the catalog rows of a newly distributed or reference table. */
static void
record_table_in_catalog(Oid table_id, bool reference, AttrNumber attnum, Oid type_id, Oid collation,
						ShardLayout *layout, List *reference_group_ids)
{
	if (layout->colocation_id == 0)
	{
		char *sql = reference ? pstrdup("INSERT INTO shale.colocation_group DEFAULT VALUES RETURNING colocation_id")
							  : psprintf("INSERT INTO shale.colocation_group (distribution_type, distribution_collation) "
										 "VALUES (%u, %u) RETURNING colocation_id",
										 type_id, collation);
		run_sql(sql, SPI_OK_INSERT_RETURNING);
		bool is_null;
		layout->colocation_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
	}
	run_sql(psprintf("INSERT INTO shale.distributed_table (table_id, kind, distribution_attnum, colocation_id) "
					 "VALUES (%u, '%s', %s, %d)",
					 table_id, reference ? "reference" : "distributed",
					 reference ? "NULL" : psprintf("%d", attnum), layout->colocation_id),
			SPI_OK_INSERT);

	StringInfoData shards, placements;
	initStringInfo(&shards);
	initStringInfo(&placements);
	appendStringInfoString(&shards, "INSERT INTO shale.shard (shard_id, table_id, hash_min, hash_max) VALUES ");
	appendStringInfoString(&placements, "INSERT INTO shale.placement (shard_id, group_id) VALUES ");
	bool first_placement = true;
	for (int i = 0; i < layout->shard_count; i++)
	{
		appendStringInfo(&shards, "%s(" INT64_FORMAT ", %u, " INT64_FORMAT ", " INT64_FORMAT ")", i > 0 ? ", " : "",
						 layout->shard_ids[i], table_id, layout->ranges[i].min, layout->ranges[i].max);
		List *groups = reference ? reference_group_ids : list_make1_int(layout->group_ids[i]);
		ListCell *cell;
		foreach (cell, groups)
		{
			appendStringInfo(&placements, "%s(" INT64_FORMAT ", %d)", first_placement ? "" : ", ",
							 layout->shard_ids[i], lfirst_int(cell));
			first_placement = false;
		}
	}
	run_sql(shards.data, SPI_OK_INSERT);
	run_sql(placements.data, SPI_OK_INSERT);
}

/*
 * place_table does the work common to distributed and reference tables:
 * shard ids, shard tables, rows moved out of the local table, catalog rows.
 * It closes the relation (keeping its lock).
 */
static void
place_table(Relation relation, bool reference, AttrNumber attnum, Oid type_id, Oid collation, Oid hash_function_id,
			ShardLayout *layout, List *reference_group_ids)
{
	Oid table_id = RelationGetRelid(relation);
	for (int i = 0; i < layout->shard_count; i++)
		layout->shard_ids[i] = next_shard_id();

	create_shard_tables(table_id, layout, reference_group_ids);

	FmgrInfo hash_function;
	ShardDestination destination;
	memset(&destination, 0, sizeof(destination));
	destination.shard_count = layout->shard_count;
	destination.ranges = layout->ranges;
	destination.shard_ids = layout->shard_ids;
	destination.group_ids = layout->group_ids;
	destination.to_every_group = reference;
	destination.every_group_ids = reference_group_ids;
	destination.distribution_attnum = attnum;
	destination.collation = collation;
	if (!reference)
	{
		fmgr_info(hash_function_id, &hash_function);
		destination.hash_function = &hash_function;
	}
	uint64 moved = copy_local_rows_to_shards(relation, &destination);
	char *table_name = pstrdup(RelationGetRelationName(relation));
	char *qualified_name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(relation)), table_name);
	/* TRUNCATE refuses a table this session has open; the lock stays until commit */
	table_close(relation, NoLock);

	/* the local table stays as an empty shell that the planner rewrites queries over */
	if (moved > 0)
		run_sql(psprintf("TRUNCATE ONLY %s", qualified_name), SPI_OK_UTILITY);
	record_table_in_catalog(table_id, reference, attnum, type_id, collation, layout, reference_group_ids);
	if (moved > 0)
		ereport(NOTICE, (errmsg("moved " UINT64_FORMAT " rows of \"%s\" into its shards", moved, table_name)));
}

SHALE_FUNCTION(shale_distribute_table)
{
	require_superuser("shale.distribute_table()");
	require_argument(fcinfo, 0, "table_name");
	require_argument(fcinfo, 1, "column_name");
	require_argument(fcinfo, 2, "shard_count");
	Oid table_id = PG_GETARG_OID(0);
	char *column_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int shard_count = PG_GETARG_INT32(2);
	Oid colocate_with = PG_ARGISNULL(3) ? InvalidOid : PG_GETARG_OID(3);

	Relation relation = table_open(table_id, AccessExclusiveLock);
	check_table_can_be_placed(relation, "shale.distribute_table");

	AttrNumber attnum = get_attnum(table_id, column_name);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
						errmsg("column \"%s\" of relation \"%s\" does not exist", column_name, RelationGetRelationName(relation)),
						errhint("Pass the name of one of the table's columns, e.g. shale.distribute_table('%s', 'id').",
								RelationGetRelationName(relation))));
	if (attnum < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("cannot distribute by system column \"%s\"", column_name),
						errhint("Distribute by one of the table's own columns.")));
	Form_pg_attribute attribute = TupleDescAttr(RelationGetDescr(relation), attnum - 1);
	if (attribute->attgenerated != '\0')
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cannot distribute by generated column \"%s\"", column_name),
						errhint("Distribute by a column whose value the application sets.")));
	Oid type_id = attribute->atttypid;
	Oid collation = attribute->attcollation;
	Oid hash_function_id = distribution_hash_function_for_type(type_id);
	if (!OidIsValid(hash_function_id))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
						errmsg("cannot distribute by column \"%s\": type %s has no hash function", column_name,
							   format_type_be(type_id)),
						errhint("Distribute by a column of a hashable type, such as bigint, text or uuid.")));
	if (shard_count < 1 || shard_count > SHALE_MAX_SHARD_COUNT)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("shard_count %d is out of range", shard_count),
						errhint("Use between 1 and %d shards; 32 suits most tables.", SHALE_MAX_SHARD_COUNT)));
	check_unique_indexes_include_column(relation, attnum, column_name);
	List *group_ids = require_worker_groups();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");

	ShardLayout layout;
	if (OidIsValid(colocate_with))
	{
		const DistributedTable *partner = distributed_table_lookup(colocate_with);
		if (partner == NULL || partner->kind != TABLE_KIND_DISTRIBUTED)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("cannot co-locate with \"%s\": it is not a distributed table", get_rel_name(colocate_with)),
							errhint("colocate_with names a table already distributed with shale.distribute_table().")));
		if (partner->distribution_type != type_id || partner->distribution_collation != collation)
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
							errmsg("cannot co-locate \"%s\" with \"%s\": distribution column types differ (%s and %s)",
								   RelationGetRelationName(relation), get_rel_name(colocate_with), format_type_be(type_id),
								   format_type_be(partner->distribution_type)),
							errhint("Co-located tables must be distributed by columns of the same type and collation.")));
		if (shard_count != 32 && shard_count != partner->shard_count)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("shard_count %d differs from the %d shards of \"%s\"", shard_count,
								   partner->shard_count, get_rel_name(colocate_with)),
							errhint("Omit shard_count: a co-located table takes the shards of colocate_with.")));
		layout = layout_like(partner);
	}
	else
	{
		const DistributedTable *partner = implicit_colocation_partner(type_id, collation, shard_count);
		layout = partner != NULL ? layout_like(partner) : uniform_layout(shard_count, group_ids);
	}

	ForeignKeyHolder holder = {table_id, false, layout.colocation_id, attnum};
	check_own_foreign_keys(&holder);
	place_table(relation, false, attnum, type_id, collation, hash_function_id, &layout, NIL);
	add_shard_foreign_keys(table_id, &layout, NIL);
	SPI_finish();
	PG_RETURN_VOID();
}

SHALE_FUNCTION(shale_make_reference_table)
{
	require_superuser("shale.make_reference_table()");
	require_argument(fcinfo, 0, "table_name");
	Oid table_id = PG_GETARG_OID(0);
	Relation relation = table_open(table_id, AccessExclusiveLock);
	check_table_can_be_placed(relation, "shale.make_reference_table");
	List *group_ids = require_worker_groups();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	ShardLayout layout = uniform_layout(1, group_ids);
	run_sql("SELECT colocation_id FROM shale.colocation_group WHERE distribution_type IS NULL ORDER BY 1 LIMIT 1",
			SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		bool is_null;
		layout.colocation_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null));
	}
	ForeignKeyHolder holder = {table_id, true, layout.colocation_id, InvalidAttrNumber};
	check_own_foreign_keys(&holder);
	place_table(relation, true, InvalidAttrNumber, InvalidOid, InvalidOid, InvalidOid, &layout, group_ids);
	add_shard_foreign_keys(table_id, &layout, group_ids);
	SPI_finish();
	PG_RETURN_VOID();
}

SHALE_FUNCTION(shale_undistribute_table)
{
	require_superuser("shale.undistribute_table()");
	require_argument(fcinfo, 0, "table_name");
	Oid table_id = PG_GETARG_OID(0);
	Relation relation = table_open(table_id, AccessExclusiveLock);
	const DistributedTable *cached = distributed_table_lookup(table_id);
	if (cached == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("table \"%s\" is not distributed", RelationGetRelationName(relation)),
						errhint("See SELECT * FROM shale.tables.")));

	char *key;
	Oid child_id, parent_id;
	/* the rows coming back would be checked against the router's empty copies of other tables */
	if (find_foreign_key(table_id, true, &key, &child_id, &parent_id))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cannot undistribute table \"%s\": it has foreign key \"%s\" (from \"%s\" to \"%s\")",
							   RelationGetRelationName(relation), key, get_rel_name(child_id), get_rel_name(parent_id)),
						errhint("Drop the key with ALTER TABLE %s DROP CONSTRAINT %s first.", quote_identifier(get_rel_name(child_id)),
								quote_identifier(key))));

	/* copy what we need: the catalog change below invalidates the cache entry */
	int shard_count = cached->shard_count;
	ShardEntry *shards = (ShardEntry *) palloc(sizeof(ShardEntry) * shard_count);
	for (int i = 0; i < shard_count; i++)
	{
		shards[i] = cached->shards[i];
		shards[i].placement_group_ids = (int *) palloc(sizeof(int) * (cached->shards[i].placement_count + 1));
		memcpy(shards[i].placement_group_ids, cached->shards[i].placement_group_ids,
			   sizeof(int) * cached->shards[i].placement_count);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "shale: SPI_connect failed");
	run_sql(psprintf("DELETE FROM shale.distributed_table WHERE table_id = %u", table_id), SPI_OK_DELETE);
	run_sql("DELETE FROM shale.colocation_group c WHERE NOT EXISTS "
			"(SELECT 1 FROM shale.distributed_table d WHERE d.colocation_id = c.colocation_id)",
			SPI_OK_DELETE);

	uint64 rows = 0;
	for (int i = 0; i < shard_count; i++)
		rows += copy_shard_rows_to_local(relation, shards[i].placement_group_ids[0], shards[i].shard_id);

	for (int i = 0; i < shard_count; i++)
		for (int p = 0; p < shards[i].placement_count; p++)
			worker_connection_execute(remote_transaction_connection(shards[i].placement_group_ids[p], true),
									  psprintf("DROP TABLE IF EXISTS %s", shard_qualified_name(table_id, shards[i].shard_id)));
	SPI_finish();
	table_close(relation, NoLock);
	ereport(NOTICE, (errmsg("moved " UINT64_FORMAT " rows back into \"%s\"", rows, RelationGetRelationName(relation))));
	PG_RETURN_VOID();
}
