/*
 * copy_command.cpp — COPY into and out of distributed and reference tables.
 *
 * COPY FROM: PostgreSQL's own COPY parser reads the input (every format and
 * option, from the client, a file or a program) into rows on the router,
 * defaults and sequences included; the shard row router sends each row to
 * its shard in batches, inside the distributed transaction, so the load is
 * all or nothing. A bad row fails with its line number, as in plain COPY.
 *
 * COPY TO: becomes COPY (SELECT columns FROM table) TO, which the planner
 * runs over the shards.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/pg_authid.h"
#include "commands/copy.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "tcop/utility.h"
#include "utils/acl.h"
}

#include "shale/commands/copy_command.h"
#include "shale/commands/shard_row_router.h"

/* Refuses reading a server file or running a program without the right role, as COPY does. */
static void
check_server_side_access(CopyStmt *statement)
{
	if (statement->filename == NULL)
		return;
	Oid role = statement->is_program ? ROLE_PG_EXECUTE_SERVER_PROGRAM : ROLE_PG_READ_SERVER_FILES;
	if (!has_privs_of_role(GetUserId(), role))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("permission denied to COPY from a %s", statement->is_program ? "program" : "file"),
						errhint("Only roles with the privileges of the \"%s\" role may COPY from a %s.",
								statement->is_program ? "pg_execute_server_program" : "pg_read_server_files",
								statement->is_program ? "program" : "file")));
}

uint64
copy_into_distributed_table(CopyStmt *statement, const char *query_string)
{
	if (statement->whereClause != NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("COPY FROM … WHERE is not supported on distributed tables"),
						errhint("Load the rows into a local table first, then INSERT … SELECT the ones you want.")));
	check_server_side_access(statement);
	Relation relation = table_openrv(statement->relation, RowExclusiveLock);
	AclResult permission = pg_class_aclcheck(RelationGetRelid(relation), GetUserId(), ACL_INSERT);
	if (permission != ACLCHECK_OK)
		aclcheck_error(permission, OBJECT_TABLE, RelationGetRelationName(relation));

	ParseState *parse_state = make_parsestate(NULL);
	parse_state->p_sourcetext = query_string;
	(void) addRangeTableEntryForRelation(parse_state, relation, RowExclusiveLock, NULL, false, false);
	CopyFromState copy_state = BeginCopyFrom(parse_state, relation, NULL, statement->filename, statement->is_program,
											 NULL, statement->attlist, statement->options);

	ShardDestination destination = shard_destination_of(RelationGetRelid(relation));
	ShardRowRouter *router = shard_row_router_create(relation, &destination);
	EState *estate = CreateExecutorState();
	ExprContext *econtext = GetPerTupleExprContext(estate);
	TupleDesc descriptor = RelationGetDescr(relation);
	Datum *values = (Datum *) palloc0(sizeof(Datum) * descriptor->natts);
	bool *nulls = (bool *) palloc0(sizeof(bool) * descriptor->natts);

	/* errors name the input line, as in plain COPY */
	ErrorContextCallback error_context;
	error_context.callback = CopyFromErrorCallback;
	error_context.arg = copy_state;
	error_context.previous = error_context_stack;
	error_context_stack = &error_context;
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		ResetPerTupleExprContext(estate);
		/* the row's values live in per-row memory; the router keeps its own state elsewhere */
		MemoryContext previous = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
		bool have_row = NextCopyFrom(copy_state, econtext, values, nulls);
		MemoryContextSwitchTo(previous);
		if (!have_row)
			break;
		shard_row_router_add(router, values, nulls);
	}
	error_context_stack = error_context.previous;

	uint64 row_count = shard_row_router_finish(router);
	EndCopyFrom(copy_state);
	FreeExecutorState(estate);
	table_close(relation, NoLock);
	return row_count;
}

CopyStmt *
copy_out_as_query(CopyStmt *statement)
{
	Relation relation = table_openrv(statement->relation, AccessShareLock);
	SelectStmt *select = makeNode(SelectStmt);
	List *columns = statement->attlist;
	if (columns == NIL)
	{
		/* like COPY table TO: every column but generated ones */
		TupleDesc descriptor = RelationGetDescr(relation);
		for (int i = 0; i < descriptor->natts; i++)
		{
			Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
			if (column_is_copied(attribute))
				columns = lappend(columns, makeString(pstrdup(NameStr(attribute->attname))));
		}
	}
	ListCell *cell;
	foreach (cell, columns)
	{
		ColumnRef *column = makeNode(ColumnRef);
		column->fields = list_make1(makeString(pstrdup(strVal(lfirst(cell)))));
		column->location = -1;
		ResTarget *target = makeNode(ResTarget);
		target->val = (Node *) column;
		target->location = -1;
		select->targetList = lappend(select->targetList, target);
	}
	select->fromClause = list_make1(copyObject(statement->relation));
	table_close(relation, NoLock);

	CopyStmt *query_copy = (CopyStmt *) copyObject(statement);
	query_copy->relation = NULL;
	query_copy->attlist = NIL;
	query_copy->query = (Node *) select;
	return query_copy;
}
