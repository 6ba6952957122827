/*
 * ddl_propagation.cpp — DDL on distributed and reference tables, carried to
 * every shard in the same distributed transaction (all or nothing).
 *
 * The command runs on the router's shell table first (so PostgreSQL checks
 * it), then on every shard:
 *   - commands that name only the table and its columns (ADD / DROP / RENAME
 *     COLUMN, SET / DROP NOT NULL, ALTER COLUMN TYPE, CHECK constraints) are
 *     sent as the user wrote them, with the shard's name put where the parser
 *     located the table name;
 *   - indexes and index-backed constraints, whose names must differ per shard,
 *     are created from the catalog definition under the shard's names;
 *   - RENAME TABLE renames each shard; TRUNCATE empties each shard.
 * Column defaults stay on the router: it evaluates them for every INSERT,
 * UPDATE and COPY, so shards never use theirs.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "access/genam.h"
#include "utils/fmgroids.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "access/xact.h"
#include "commands/tablecmds.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/guc.h"
#include "tcop/utility.h"
#include "utils/syscache.h"
}

#include "shale/commands/ddl_propagation.h"
#include "shale/utils/subtransaction.h"
#include "shale/commands/shard_ddl.h"
#include "shale/metadata/shard_foreign_keys.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/transaction/remote_transaction.h"

/* One command for one worker group. */
typedef struct GroupCommands
{
	int group_id;
	StringInfoData sql;
} GroupCommands;

/* Appends sql to the commands of a group, creating its entry. */
static void
add_group_command(List **groups, int group_id, const char *sql)
{
	ListCell *cell;
	foreach (cell, *groups)
	{
		GroupCommands *group = (GroupCommands *) lfirst(cell);
		if (group->group_id == group_id)
		{
			appendStringInfo(&group->sql, "; %s", sql);
			return;
		}
	}
	GroupCommands *group = (GroupCommands *) palloc0(sizeof(GroupCommands));
	group->group_id = group_id;
	initStringInfo(&group->sql);
	appendStringInfoString(&group->sql, sql);
	*groups = lappend(*groups, group);
}

/* Runs every group's commands, all groups at once, in the distributed transaction. */
static void
run_group_commands(List *unmerged)
{
	/* lists built separately may name a group twice: one command string per group */
	List *groups = NIL;
	ListCell *cell;
	foreach (cell, unmerged)
	{
		GroupCommands *group = (GroupCommands *) lfirst(cell);
		add_group_command(&groups, group->group_id, group->sql.data);
	}
	foreach (cell, groups)
	{
		GroupCommands *group = (GroupCommands *) lfirst(cell);
		worker_connection_send(remote_transaction_connection(group->group_id, true), group->sql.data);
	}
	foreach (cell, groups)
	{
		GroupCommands *group = (GroupCommands *) lfirst(cell);
		PGresult *result = worker_connection_receive(remote_transaction_connection(group->group_id, true));
		if (result != NULL)
			PQclear(result);
	}
}

/* Adds one command per placement of every shard, built by a callback from the shard. */
typedef char *(*ShardCommandBuilder)(const DistributedTable *table, const ShardEntry *shard, void *context);

static List *
commands_for_every_placement(const DistributedTable *table, ShardCommandBuilder build, void *context)
{
	List *groups = NIL;
	for (int s = 0; s < table->shard_count; s++)
	{
		char *sql = build(table, &table->shards[s], context);
		if (sql == NULL)
			continue;
		for (int p = 0; p < table->shards[s].placement_count; p++)
			add_group_command(&groups, table->shards[s].placement_group_ids[p], sql);
	}
	return groups;
}

/* The user's statement with the table name replaced: the context of a spliced command. */
typedef struct SplicedStatement
{
	const char *text; /* the statement */
	int name_offset;  /* where the table name starts in text */
	int name_length;
	char **shard_names; /* per shard index: the name to put there (taken before the command ran) */
} SplicedStatement;

static char *
spliced_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	SplicedStatement *statement = (SplicedStatement *) context;
	int index = (int) (shard - table->shards);
	return psprintf("%.*s%s%s", statement->name_offset, statement->text, statement->shard_names[index],
					statement->text + statement->name_offset + statement->name_length);
}

/* The statement's own text (one statement of a multi-statement string). */
static char *
statement_text(PlannedStmt *planned, const char *query_string, int *start)
{
	*start = planned->stmt_location > 0 ? planned->stmt_location : 0;
	int length = planned->stmt_len > 0 ? planned->stmt_len : (int) strlen(query_string + *start);
	return pnstrdup(query_string + *start, length);
}

static char **
current_shard_names(const DistributedTable *table)
{
	char **names = (char **) palloc(sizeof(char *) * (table->shard_count + 1));
	for (int s = 0; s < table->shard_count; s++)
		names[s] = shard_qualified_name(table->table_id, table->shards[s].shard_id);
	return names;
}

/*
 * splice_at prepares the user's statement to be sent to each shard, with the
 * shard's name where the parser located the table name (taken now, before
 * the command runs and perhaps renames the table).
 */
static SplicedStatement
splice_at(PlannedStmt *planned, const char *query_string, RangeVar *table_reference, const DistributedTable *table)
{
	SplicedStatement spliced;
	int start;
	spliced.text = statement_text(planned, query_string, &start);
	spliced.name_offset = table_reference->location - start;
	spliced.name_length = qualified_name_length(spliced.text + spliced.name_offset);
	spliced.shard_names = current_shard_names(table);
	return spliced;
}

/* Copies the cache entry's shards: running the command locally may invalidate the cache. */
static DistributedTable *
snapshot_of(Oid table_id)
{
	const DistributedTable *cached = distributed_table_lookup(table_id);
	DistributedTable *copy = (DistributedTable *) palloc(sizeof(DistributedTable));
	*copy = *cached;
	copy->shards = (ShardEntry *) palloc(sizeof(ShardEntry) * (cached->shard_count + 1));
	for (int s = 0; s < cached->shard_count; s++)
	{
		copy->shards[s] = cached->shards[s];
		copy->shards[s].placement_group_ids = (int *) palloc(sizeof(int) * (cached->shards[s].placement_count + 1));
		memcpy(copy->shards[s].placement_group_ids, cached->shards[s].placement_group_ids,
			   sizeof(int) * cached->shards[s].placement_count);
	}
	return copy;
}

static void
refuse_ddl(const char *what, const char *table_name, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("%s on distributed table \"%s\" is not supported", what, table_name), errhint("%s", hint)));
}

/* Index-backed constraints added by an ALTER TABLE: their names, to create them per shard. */
static bool
is_index_constraint(Constraint *constraint)
{
	return constraint->contype == CONSTR_PRIMARY || constraint->contype == CONSTR_UNIQUE ||
		   constraint->contype == CONSTR_EXCLUSION;
}

/* Context for index-backed constraints created from the catalog. */
typedef struct CatalogConstraint
{
	char *name;
	char *definition;
} CatalogConstraint;

static char *
constraint_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	CatalogConstraint *constraint = (CatalogConstraint *) context;
	return psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", shard_qualified_name(table->table_id, shard->shard_id),
					quote_identifier(shard_object_name(constraint->name, shard->shard_id)), constraint->definition);
}

static char *
drop_constraint_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	const char *name = (const char *) context;
	return psprintf("ALTER TABLE %s DROP CONSTRAINT %s", shard_qualified_name(table->table_id, shard->shard_id),
					quote_identifier(shard_object_name(name, shard->shard_id)));
}

/* The definition text of a constraint of the table, by name. */
static char *
constraint_definition(Oid table_id, const char *name)
{
	Oid constraint_id = get_relation_constraint_oid(table_id, name, false);
	return TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef, ObjectIdGetDatum(constraint_id)));
}

/* Whether a constraint of the table, by name, is backed by an index. */
static bool
constraint_has_index(Oid table_id, const char *name)
{
	Oid constraint_id = get_relation_constraint_oid(table_id, name, true);
	if (!OidIsValid(constraint_id))
		return false;
	HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(constraint_id));
	char type = ((Form_pg_constraint) GETSTRUCT(tuple))->contype;
	ReleaseSysCache(tuple);
	return type == CONSTRAINT_PRIMARY || type == CONSTRAINT_UNIQUE || type == CONSTRAINT_EXCLUSION;
}

/* Whether an index-backed constraint's columns include the distribution column. */
static void
check_constraint_keys(const DistributedTable *table, Constraint *constraint, const char *table_name)
{
	if (table->kind != TABLE_KIND_DISTRIBUTED)
		return;
	if (constraint->contype == CONSTR_EXCLUSION)
		refuse_ddl("ADD CONSTRAINT … EXCLUDE", table_name, "Exclusion constraints cannot be enforced across shards.");
	if (constraint->indexname != NULL)
		refuse_ddl("ADD CONSTRAINT … USING INDEX", table_name, "Name the constraint's columns instead.");
	char *distribution_column = get_attname(table->table_id, table->distribution_attnum, false);
	ListCell *cell;
	foreach (cell, constraint->keys)
		if (strcmp(strVal(lfirst(cell)), distribution_column) == 0)
			return;
	ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
					errmsg("unique constraint on distributed table \"%s\" must include the distribution column \"%s\"",
						   table_name, distribution_column),
					errhint("Add \"%s\" to the constraint's columns.", distribution_column)));
}

/* Column names (String nodes) of a table as an IntList of attribute numbers; unknown names are left to PostgreSQL. */
static List *
attribute_numbers(Oid table_id, List *names)
{
	List *numbers = NIL;
	ListCell *cell;
	foreach (cell, names)
		numbers = lappend_int(numbers, get_attnum(table_id, strVal(lfirst(cell))));
	return numbers;
}

/* check_foreign_key_shape for an ADD CONSTRAINT … FOREIGN KEY not run yet. */
static void
check_foreign_key_statement(const DistributedTable *table, Constraint *constraint)
{
	Oid referenced_id = RangeVarGetRelid(constraint->pktable, NoLock, false);
	ForeignKeyHolder holder = {table->table_id, table->kind == TABLE_KIND_REFERENCE, table->colocation_id,
							   table->distribution_attnum};
	check_foreign_key_shape(&holder, constraint->conname, referenced_id, attribute_numbers(table->table_id, constraint->fk_attrs),
							attribute_numbers(referenced_id, constraint->pk_attrs));
}

/* A foreign key's statement for one shard: the referenced shard is the one of the same range, or the reference table's. */
static char *
foreign_key_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	ShardForeignKey *key = (ShardForeignKey *) context;
	const DistributedTable *referenced = distributed_table_lookup(key->referenced_id);
	const ShardEntry *referenced_shard =
		referenced->kind == TABLE_KIND_REFERENCE ? &referenced->shards[0] : shard_for_hash(referenced, shard->hash_min);
	return shard_foreign_key_command(key, shard_qualified_name(table->table_id, shard->shard_id),
									 shard_qualified_name(key->referenced_id, referenced_shard->shard_id));
}

typedef struct AlterPlan
{
	bool send_spliced; /* some subcommand goes to the shards as written */
	List *added_index_constraints;	/* Constraint *, created per shard from the catalog */
	List *dropped_index_constraints; /* names */
	List *added_foreign_keys;		 /* Constraint *, created per shard from the catalog */
} AlterPlan;

/* Sorts an ALTER TABLE's subcommands into how each reaches the shards; refuses the rest. */
static AlterPlan
plan_alter_table(AlterTableStmt *statement, const DistributedTable *table, const char *table_name)
{
	AlterPlan plan;
	memset(&plan, 0, sizeof(plan));
	int spliced = 0, other = 0;
	ListCell *cell;
	foreach (cell, statement->cmds)
	{
		AlterTableCmd *command = (AlterTableCmd *) lfirst(cell);
		switch (command->subtype)
		{
			case AT_AddColumn:
			{
				ColumnDef *column = (ColumnDef *) command->def;
				ListCell *constraint_cell;
				foreach (constraint_cell, column->constraints)
				{
					Constraint *constraint = (Constraint *) lfirst(constraint_cell);
					if (is_index_constraint(constraint) || constraint->contype == CONSTR_FOREIGN ||
						constraint->contype == CONSTR_IDENTITY || constraint->contype == CONSTR_GENERATED)
						refuse_ddl("ADD COLUMN with a PRIMARY KEY, UNIQUE, REFERENCES, IDENTITY or GENERATED clause",
								   table_name, "Add the column first, then the constraint with ALTER TABLE … ADD CONSTRAINT.");
				}
				spliced++;
				break;
			}
			case AT_DropColumn:
				if (table->kind == TABLE_KIND_DISTRIBUTED && command->name != NULL &&
					get_attnum(table->table_id, command->name) == table->distribution_attnum)
					ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("cannot drop the distribution column \"%s\" of \"%s\"", command->name, table_name),
									errhint("Undistribute the table first with shale.undistribute_table().")));
				spliced++;
				break;
			case AT_AlterColumnType:
				if (table->kind == TABLE_KIND_DISTRIBUTED && command->name != NULL &&
					get_attnum(table->table_id, command->name) == table->distribution_attnum)
					ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
									errmsg("cannot change the type of the distribution column \"%s\" of \"%s\"",
										   command->name, table_name),
									errhint("Its values would hash differently: undistribute the table, change it, "
											"and distribute it again.")));
				spliced++;
				break;
			case AT_SetNotNull:
			case AT_DropNotNull:
				spliced++;
				break;
			case AT_ColumnDefault:
				other++; /* the router evaluates defaults: nothing to send */
				break;
			case AT_AddConstraint:
			{
				Constraint *constraint = (Constraint *) command->def;
				if (constraint->contype == CONSTR_CHECK)
					spliced++;
				else if (is_index_constraint(constraint))
				{
					check_constraint_keys(table, constraint, table_name);
					plan.added_index_constraints = lappend(plan.added_index_constraints, constraint);
					other++;
				}
				else if (constraint->contype == CONSTR_FOREIGN)
				{
					/*
					 * Checked before it runs on the router (whose check of the
					 * rows would read the shards) and again from the catalog.
					 */
					check_foreign_key_statement(table, constraint);
					plan.added_foreign_keys = lappend(plan.added_foreign_keys, constraint);
					other++;
				}
				else
					refuse_ddl("ADD CONSTRAINT of this kind", table_name,
							   "CHECK, UNIQUE, PRIMARY KEY and FOREIGN KEY constraints are supported.");
				break;
			}
			case AT_ValidateConstraint:
				spliced++; /* CHECK and FOREIGN KEY constraints keep their names on the shards */
				break;
			case AT_DropConstraint:
				if (constraint_has_index(table->table_id, command->name))
				{
					plan.dropped_index_constraints = lappend(plan.dropped_index_constraints, command->name);
					other++;
				}
				else
					spliced++;
				break;
			default:
				refuse_ddl("this ALTER TABLE subcommand", table_name,
						   "Supported: ADD/DROP/RENAME COLUMN, ALTER COLUMN TYPE, SET/DROP DEFAULT, SET/DROP NOT NULL, "
						   "ADD/DROP/VALIDATE CONSTRAINT (CHECK, UNIQUE, PRIMARY KEY, FOREIGN KEY), RENAME TO.");
		}
	}
	if (spliced > 0 && other > 0)
		refuse_ddl("ALTER TABLE mixing these subcommands", table_name,
				   "Run the constraint or default changes in a separate ALTER TABLE.");
	plan.send_spliced = spliced > 0;
	return plan;
}

static void
run_locally(PlannedStmt *planned, const char *query_string, bool read_only_tree, ProcessUtilityContext context,
			ParamListInfo parameters, QueryEnvironment *environment, DestReceiver *destination,
			QueryCompletion *completion, ProcessUtility_hook_type next_hook)
{
	if (next_hook != NULL)
		next_hook(planned, query_string, read_only_tree, context, parameters, environment, destination, completion);
	else
		standard_ProcessUtility(planned, query_string, read_only_tree, context, parameters, environment, destination,
								completion);
}

/* The names in after that are not in before. */
static List *
added_names(List *before, List *after)
{
	List *added = NIL;
	ListCell *cell;
	foreach (cell, after)
		if (!list_member(before, lfirst(cell)))
			added = lappend(added, lfirst(cell));
	return added;
}

/* Index-backed constraints the statement added, per shard under the shard's names, from the catalog. */
static List *
index_constraint_commands(const DistributedTable *table, List *names)
{
	List *groups = NIL;
	ListCell *cell;
	foreach (cell, names)
	{
		CatalogConstraint context;
		context.name = strVal(lfirst(cell));
		context.definition = constraint_definition(table->table_id, context.name);
		List *more = commands_for_every_placement(table, constraint_for_shard, &context);
		ListCell *group_cell;
		foreach (group_cell, more)
		{
			GroupCommands *group = (GroupCommands *) lfirst(group_cell);
			add_group_command(&groups, group->group_id, group->sql.data);
		}
	}
	return groups;
}

static char *
truncate_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	TruncateStmt *statement = (TruncateStmt *) context;
	return psprintf("TRUNCATE %s%s", shard_qualified_name(table->table_id, shard->shard_id),
					statement->restart_seqs ? " RESTART IDENTITY" : "");
}

typedef struct IndexForShards
{
	Oid index_id;
} IndexForShards;

static char *
index_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	(void) table;
	return shard_index_command(((IndexForShards *) context)->index_id, shard->shard_id);
}

static char *
drop_index_for_shard(const DistributedTable *table, const ShardEntry *shard, void *context)
{
	(void) table;
	const char *qualified = (const char *) context; /* "schema" and "name" joined by a NUL */
	const char *name = qualified + strlen(qualified) + 1;
	/* IF EXISTS: after a failed CREATE INDEX CONCURRENTLY some shards may lack it */
	return psprintf("DROP INDEX IF EXISTS %s",
					quote_qualified_identifier(qualified, shard_object_name(name, shard->shard_id)));
}

/* Runs each group's statements (List of: group id, then statements), one per group at a time. */
static void
build_in_rounds(List *groups)
{
	for (int round = 1;; round++)
	{
		List *sent = NIL;
		ListCell *cell;
		foreach (cell, groups)
		{
			List *statements = (List *) lfirst(cell);
			if (round >= list_length(statements))
				continue;
			WorkerConnection *connection = worker_connection_for_group(linitial_int(statements));
			worker_connection_send(connection, (char *) list_nth(statements, round));
			sent = lappend(sent, connection);
		}
		if (sent == NIL)
			break;
		foreach (cell, sent)
		{
			PGresult *result = worker_connection_receive((WorkerConnection *) lfirst(cell));
			if (result != NULL)
				PQclear(result);
		}
	}
}

/* build_in_rounds, turning a failure into an error that says how to clean up. */
static void
build_in_rounds_or_explain(List *groups, const char *index_name)
{
	MemoryContext caller_context = CurrentMemoryContext;
	PG_TRY();
	{
		build_in_rounds(groups);
	}
	PG_CATCH();
	{
		ErrorData *error = take_error(caller_context);
		ereport(ERROR, (errcode(error->sqlerrcode), errmsg("%s", error->message),
						error->detail ? errdetail("%s", error->detail) : 0,
						errhint("CREATE INDEX CONCURRENTLY stopped half-way: the index \"%s\" exists on the router and "
								"on some shards. Run DROP INDEX %s, then create it again.",
								index_name, quote_identifier(index_name))));
	}
	PG_END_TRY();
}

/*
 * build_index_concurrently runs CREATE INDEX CONCURRENTLY on every shard, the
 * groups in parallel and the shards of a group one after the other, outside
 * any transaction (as PostgreSQL requires), so writes go on meanwhile. Once
 * the router's index exists this cannot be all or nothing: when a shard
 * fails, the error says which, and DROP INDEX removes the index everywhere,
 * after which CREATE INDEX CONCURRENTLY can run again.
 */
static void
build_index_concurrently(const DistributedTable *table, Oid index_id, const char *index_name)
{
	List *groups = NIL;
	for (int s = 0; s < table->shard_count; s++)
	{
		const ShardEntry *shard = &table->shards[s];
		char *sql = shard_index_command_with(index_id, shard->shard_id, true);
		for (int p = 0; p < shard->placement_count; p++)
		{
			int group_id = shard->placement_group_ids[p];
			List **statements = NULL;
			ListCell *cell;
			foreach (cell, groups)
				if (linitial_int((List *) lfirst(cell)) == group_id)
					statements = (List **) &lfirst(cell);
			if (statements == NULL)
			{
				groups = lappend(groups, list_make1_int(group_id));
				statements = (List **) &llast(groups);
			}
			*statements = lappend(*statements, sql);
		}
	}
	build_in_rounds_or_explain(groups, index_name);
}

bool
propagate_ddl(Oid table_id, PlannedStmt *planned, const char *query_string, bool read_only_tree,
			  ProcessUtilityContext context, ParamListInfo parameters, QueryEnvironment *environment,
			  DestReceiver *destination, QueryCompletion *completion, ProcessUtility_hook_type next_hook)
{
	Node *statement = planned->utilityStmt;
	DistributedTable *table = snapshot_of(table_id);
	char *table_name = pstrdup(get_rel_name(table_id));
	List *groups = NIL;

	switch (nodeTag(statement))
	{
		case T_AlterTableStmt:
		{
			AlterTableStmt *alter = (AlterTableStmt *) statement;
			AlterPlan plan = plan_alter_table(alter, table, table_name);
			SplicedStatement spliced = splice_at(planned, query_string, alter->relation, table);
			ListCell *cell;
			foreach (cell, plan.dropped_index_constraints)
			{
				List *more = commands_for_every_placement(table, drop_constraint_for_shard, lfirst(cell));
				groups = list_concat(groups, more);
			}
			/* what the statement adds is read from the catalog afterwards, so unnamed constraints work too */
			List *index_constraints_before = table_constraint_names(table_id, "pux");
			List *foreign_keys_before = table_constraint_names(table_id, "f");
			run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
						completion, next_hook);
			if (plan.send_spliced)
				groups = commands_for_every_placement(table, spliced_for_shard, &spliced);
			CommandCounterIncrement();
			if (plan.added_index_constraints != NIL)
				groups = list_concat(groups, index_constraint_commands(table, added_names(index_constraints_before,
																						  table_constraint_names(table_id, "pux"))));
			if (plan.added_foreign_keys != NIL)
				foreach (cell, added_names(foreign_keys_before, table_constraint_names(table_id, "f")))
				{
					ForeignKeyHolder holder = {table_id, table->kind == TABLE_KIND_REFERENCE, table->colocation_id,
											   table->distribution_attnum};
					check_shard_foreign_key(&holder, strVal(lfirst(cell)));
					ShardForeignKey *key = shard_foreign_key_template(table_id, strVal(lfirst(cell)));
					groups = list_concat(groups, commands_for_every_placement(table, foreign_key_for_shard, key));
				}
			break;
		}
		case T_RenameStmt:
		{
			RenameStmt *rename = (RenameStmt *) statement;
			if (rename->renameType == OBJECT_TABLE)
			{
				run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
							completion, next_hook);
				/* cached shard names carry the old name: every backend drops them */
				invalidate_metadata_everywhere();
				/* the shards still carry the old name */
				for (int s = 0; s < table->shard_count; s++)
				{
					char *old_shard = shard_qualified_name_from(get_namespace_name(get_rel_namespace(table_id)),
																rename->relation->relname, table->shards[s].shard_id);
					char *sql = psprintf("ALTER TABLE %s RENAME TO %s", old_shard,
										 quote_identifier(shard_object_name(rename->newname, table->shards[s].shard_id)));
					for (int p = 0; p < table->shards[s].placement_count; p++)
						add_group_command(&groups, table->shards[s].placement_group_ids[p], sql);
				}
			}
			else if (rename->renameType == OBJECT_COLUMN)
			{
				/* renaming the distribution column is fine: the catalog keeps its number */
				SplicedStatement spliced = splice_at(planned, query_string, rename->relation, table);
				run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
							completion, next_hook);
				groups = commands_for_every_placement(table, spliced_for_shard, &spliced);
			}
			else
				refuse_ddl("this RENAME", table_name, "Supported: RENAME TO and RENAME COLUMN.");
			break;
		}
		case T_IndexStmt:
		{
			IndexStmt *index = (IndexStmt *) statement;
			if (index->concurrent && index->idxname == NULL)
				refuse_ddl("CREATE INDEX CONCURRENTLY without an index name", table_name,
						   "Name the index, so that a failure half-way can be cleaned up with DROP INDEX.");
			if (index->unique && table->kind == TABLE_KIND_DISTRIBUTED)
			{
				bool includes = false;
				char *distribution_column = get_attname(table_id, table->distribution_attnum, false);
				ListCell *cell;
				foreach (cell, index->indexParams)
				{
					IndexElem *element = (IndexElem *) lfirst(cell);
					includes |= element->name != NULL && strcmp(element->name, distribution_column) == 0;
				}
				if (!includes)
					ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
									errmsg("unique index on distributed table \"%s\" must include the distribution column \"%s\"",
										   table_name, distribution_column),
									errhint("Add \"%s\" to the index's columns.", distribution_column)));
			}
			Oid namespace_id = get_rel_namespace(table_id);
			if (index->if_not_exists && index->idxname != NULL &&
				OidIsValid(get_relname_relid(index->idxname, namespace_id)))
			{
				run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
							completion, next_hook);
				break; /* it exists: PostgreSQL skips it with a notice, and so do the shards */
			}
			run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
						completion, next_hook);
			/* the new index: by its name, or the newest index of the table when PostgreSQL named it */
			Oid index_id = InvalidOid;
			if (index->idxname != NULL)
				index_id = get_relname_relid(index->idxname, namespace_id);
			else
			{
				Relation relation = table_open(table_id, AccessShareLock);
				List *indexes = RelationGetIndexList(relation);
				ListCell *cell;
				foreach (cell, indexes)
					index_id = Max(index_id, lfirst_oid(cell));
				table_close(relation, AccessShareLock);
			}
			if (!OidIsValid(index_id))
				break; /* IF NOT EXISTS skipped it */
			CommandCounterIncrement(); /* make the new index visible to the catalog queries */
			if (index->concurrent)
			{
				build_index_concurrently(table, index_id, index->idxname);
				return true;
			}
			IndexForShards index_context = {index_id};
			groups = commands_for_every_placement(table, index_for_shard, &index_context);
			break;
		}
		case T_DropStmt:
		{
			DropStmt *drop = (DropStmt *) statement;
			if (list_length(drop->objects) != 1 || drop->concurrent)
				refuse_ddl("DROP INDEX of several indexes, or CONCURRENTLY", table_name, "Drop one index at a time.");
			RangeVar *index_name = makeRangeVarFromNameList((List *) linitial(drop->objects));
			Oid index_id = RangeVarGetRelid(index_name, NoLock, false);
			char *schema = get_namespace_name(get_rel_namespace(index_id));
			char *name = get_rel_name(index_id);
			if (constraint_has_index(table_id, name))
				refuse_ddl("DROP INDEX of a constraint's index", table_name, "Use ALTER TABLE … DROP CONSTRAINT.");
			char *qualified = (char *) palloc(strlen(schema) + strlen(name) + 2);
			strcpy(qualified, schema);
			strcpy(qualified + strlen(schema) + 1, name);
			run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
						completion, next_hook);
			groups = commands_for_every_placement(table, drop_index_for_shard, qualified);
			break;
		}
		case T_GrantStmt:
		{
			GrantStmt *grant = (GrantStmt *) statement;
			if (list_length(grant->objects) != 1)
				refuse_ddl(grant->is_grant ? "GRANT on several tables at once" : "REVOKE on several tables at once",
						   table_name, "Grant or revoke on one distributed table at a time.");
			RangeVar *object = (RangeVar *) linitial(grant->objects);
			SplicedStatement spliced = splice_at(planned, query_string, object, table);
			run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
						completion, next_hook);
			/* the roles must exist on the workers too (shale does not create roles there) */
			groups = commands_for_every_placement(table, spliced_for_shard, &spliced);
			break;
		}
		case T_TruncateStmt:
		{
			TruncateStmt *truncate = (TruncateStmt *) statement;
			if (list_length(truncate->relations) != 1)
				refuse_ddl("TRUNCATE of several tables at once", table_name, "Truncate one distributed table at a time.");
			run_locally(planned, query_string, read_only_tree, context, parameters, environment, destination,
						completion, next_hook);
			groups = commands_for_every_placement(table, truncate_for_shard, truncate);
			break;
		}
		default:
			return false;
	}
	run_group_commands(groups);
	return true;
}
