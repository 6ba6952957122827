/*
 * utility_hook.cpp — ProcessUtility hook. Statements whose effect on a
 * distributed or reference table Shale does not yet carry to the shards are
 * refused with an error naming the command, so the router's shell table and
 * the shards never drift apart. Supported DDL runs on every shard
 * (ddl_propagation.cpp); COPY is routed to the shards (copy_command.cpp);
 * DROP TABLE is handled by the sql_drop event trigger; VACUUM, ANALYZE, LOCK,
 * COMMENT and GRANT touch only the router.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/index.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
}

#include "shale/commands/copy_command.h"
#include "shale/commands/ddl_propagation.h"
#include "shale/metadata/shard_foreign_keys.h"
#include "shale/commands/vacuum_propagation.h"
#include "shale/commands/utility_hook.h"
#include "shale/metadata/metadata_cache.h"

static ProcessUtility_hook_type previous_utility_hook = NULL;

/* The table a RangeVar names, if it is distributed; InvalidOid otherwise. */
static Oid
distributed_table_named(const RangeVar *range_var)
{
	if (range_var == NULL)
		return InvalidOid;
	Oid table_id = RangeVarGetRelid(range_var, NoLock, true);
	return (OidIsValid(table_id) && distributed_table_lookup(table_id) != NULL) ? table_id : InvalidOid;
}

/* The distributed table that a utility statement changes, if any. */
static Oid
distributed_table_changed_by(Node *statement)
{
	switch (nodeTag(statement))
	{
		case T_AlterTableStmt:
			return distributed_table_named(((AlterTableStmt *) statement)->relation);
		case T_RenameStmt:
			return distributed_table_named(((RenameStmt *) statement)->relation);
		case T_IndexStmt:
			return distributed_table_named(((IndexStmt *) statement)->relation);
		case T_CreateTrigStmt:
			return distributed_table_named(((CreateTrigStmt *) statement)->relation);
		case T_RuleStmt:
			return distributed_table_named(((RuleStmt *) statement)->relation);
		case T_ClusterStmt:
			return distributed_table_named(((ClusterStmt *) statement)->relation);
		case T_ReindexStmt:
			return distributed_table_named(((ReindexStmt *) statement)->relation);
		case T_AlterObjectSchemaStmt:
			return distributed_table_named(((AlterObjectSchemaStmt *) statement)->relation);
		case T_CreatePolicyStmt:
			return distributed_table_named(((CreatePolicyStmt *) statement)->table);
		case T_GrantStmt:
		{
			GrantStmt *grant = (GrantStmt *) statement;
			if (grant->objtype != OBJECT_TABLE || grant->targtype != ACL_TARGET_OBJECT)
				return InvalidOid;
			ListCell *cell;
			foreach (cell, grant->objects)
			{
				Oid table_id = distributed_table_named((RangeVar *) lfirst(cell));
				if (OidIsValid(table_id))
					return table_id;
			}
			return InvalidOid;
		}
		case T_TruncateStmt:
		{
			ListCell *cell;
			foreach (cell, ((TruncateStmt *) statement)->relations)
			{
				Oid table_id = distributed_table_named((RangeVar *) lfirst(cell));
				if (OidIsValid(table_id))
					return table_id;
			}
			return InvalidOid;
		}
		case T_DropStmt:
		{
			DropStmt *drop = (DropStmt *) statement;
			if (drop->removeType != OBJECT_INDEX)
				return InvalidOid;
			ListCell *cell;
			foreach (cell, drop->objects)
			{
				RangeVar *index_name = makeRangeVarFromNameList((List *) lfirst(cell));
				Oid index_id = RangeVarGetRelid(index_name, NoLock, true);
				if (OidIsValid(index_id))
				{
					Oid table_id = IndexGetRelation(index_id, true);
					if (OidIsValid(table_id) && distributed_table_lookup(table_id) != NULL)
						return table_id;
				}
			}
			return InvalidOid;
		}
		default:
			return InvalidOid;
	}
}

static void
shale_process_utility(PlannedStmt *planned, const char *query_string, bool read_only_tree,
					  ProcessUtilityContext context, ParamListInfo parameters, QueryEnvironment *query_environment,
					  DestReceiver *destination, QueryCompletion *completion)
{
	Node *statement = planned->utilityStmt;
	/*
	 * Transaction control and settings touch no table, and must not read the
	 * catalog: that takes a snapshot, after which BEGIN ISOLATION LEVEL and
	 * SET TRANSACTION refuse to set the isolation level.
	 */
	bool touches_no_table = IsA(statement, TransactionStmt) || IsA(statement, VariableSetStmt) ||
							IsA(statement, VariableShowStmt);
	if (!touches_no_table && IsTransactionState() && any_distributed_table_exists())
	{
		if (IsA(statement, CopyStmt) && OidIsValid(distributed_table_named(((CopyStmt *) statement)->relation)))
		{
			CopyStmt *copy = (CopyStmt *) statement;
			if (copy->is_from)
			{
				uint64 row_count = copy_into_distributed_table(copy, query_string);
				if (completion != NULL)
					SetQueryCompletion(completion, CMDTAG_COPY, row_count);
				return;
			}
			/* COPY table TO: the same as COPY (SELECT …) TO, planned over the shards */
			PlannedStmt *rewritten = (PlannedStmt *) copyObject(planned);
			rewritten->utilityStmt = (Node *) copy_out_as_query(copy);
			planned = rewritten;
			statement = rewritten->utilityStmt;
		}
		if (IsA(statement, CopyStmt) && ((CopyStmt *) statement)->is_from && ((CopyStmt *) statement)->relation != NULL)
		{
			Oid local_id = RangeVarGetRelid(((CopyStmt *) statement)->relation, NoLock, true);
			if (OidIsValid(local_id))
				refuse_local_rows_with_keys(local_id, false);
		}
		Oid table_id = distributed_table_changed_by(statement);
		if (OidIsValid(table_id) &&
			propagate_ddl(table_id, planned, query_string, read_only_tree, context, parameters, query_environment,
						  destination, completion, previous_utility_hook))
			return;
		if (OidIsValid(table_id))
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("%s on distributed table \"%s\" is not supported yet", GetCommandTagName(CreateCommandTag(statement)),
								   get_rel_name(table_id)),
							errhint("Undistribute the table with shale.undistribute_table(), run the command, "
									"and distribute it again.")));
	}
	if (previous_utility_hook != NULL)
		previous_utility_hook(planned, query_string, read_only_tree, context, parameters, query_environment,
							  destination, completion);
	else
		standard_ProcessUtility(planned, query_string, read_only_tree, context, parameters, query_environment,
								destination, completion);

	/* a local table's foreign key to a distributed table: only while it is empty */
	if (IsA(statement, AlterTableStmt) && IsTransactionState() && any_distributed_table_exists())
	{
		CommandCounterIncrement();
		Oid table_id = RangeVarGetRelid(((AlterTableStmt *) statement)->relation, NoLock, true);
		if (OidIsValid(table_id))
			refuse_local_rows_with_keys(table_id, true);
	}

	/* VACUUM / ANALYZE ran on the router's empty tables: now on their shards */
	if (IsA(statement, VacuumStmt) && IsTransactionState() && any_distributed_table_exists())
		propagate_vacuum((VacuumStmt *) statement);
}

void
utility_hook_init(void)
{
	previous_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = shale_process_utility;
}
