/*
 * vacuum_propagation.cpp — VACUUM and ANALYZE on the shards.
 *
 * For each distributed or reference table a VACUUM / ANALYZE names, every
 * worker group runs the command on its shards (outside any transaction, as
 * VACUUM requires). Afterwards the router's empty table takes the shards'
 * total row and page counts, so PostgreSQL's planner estimates the rows that
 * remote scans bring back (joins and aggregation on the router choose their
 * methods from these).
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/namespace.h"
#include "commands/defrem.h"
#include "access/multixact.h"
#include "commands/vacuum.h"
}

#include "shale/commands/vacuum_propagation.h"
#include "shale/connection/worker_connection.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"

/* "(OPTION value, …) " of a VACUUM / ANALYZE, as the user gave them. */
static char *
option_list(VacuumStmt *statement)
{
	if (statement->options == NIL)
		return pstrdup("");
	StringInfoData options;
	initStringInfo(&options);
	appendStringInfoChar(&options, '(');
	ListCell *cell;
	foreach (cell, statement->options)
	{
		DefElem *option = (DefElem *) lfirst(cell);
		appendStringInfo(&options, "%s%s", cell == list_head(statement->options) ? "" : ", ", option->defname);
		if (option->arg != NULL)
			appendStringInfo(&options, " %s", quote_literal_cstr(defGetString(option)));
	}
	appendStringInfoString(&options, ") ");
	return options.data;
}

/* Runs the command on every shard of one table, one statement per group, and returns its size totals. */
static void
vacuum_shards(const DistributedTable *table, const char *command, double *tuples, double *pages)
{
	List *group_ids = table_group_ids(table);
	*tuples = *pages = 0;
	ListCell *cell;
	foreach (cell, group_ids)
	{
		int group_id = lfirst_int(cell);
		/* the group's shards, as a list for the command and as an array for the size query */
		StringInfoData shard_list, array;
		initStringInfo(&shard_list);
		initStringInfo(&array);
		for (int s = 0; s < table->shard_count; s++)
			for (int p = 0; p < table->shards[s].placement_count; p++)
				if (table->shards[s].placement_group_ids[p] == group_id)
				{
					char *name = shard_qualified_name(table->table_id, table->shards[s].shard_id);
					appendStringInfo(&shard_list, "%s%s", shard_list.len > 0 ? ", " : "", name);
					appendStringInfo(&array, "%s%s", array.len > 0 ? ", " : "", quote_literal_cstr(name));
				}
		WorkerConnection *connection = worker_connection_for_group(group_id);
		if (connection->in_transaction)
			ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
							errmsg("VACUUM cannot run inside a transaction that used worker nodes")));
		worker_connection_execute(connection, psprintf("%s%s", command, shard_list.data));
		/* the sizes the workers now record for these shards */
		char *sizes = psprintf("SELECT coalesce(sum(greatest(reltuples, 0)), 0), coalesce(sum(relpages), 0) FROM pg_class "
						 "WHERE oid = ANY (ARRAY[%s]::regclass[])",
						 array.data);
		worker_connection_send(connection, sizes);
		PGresult *result = worker_connection_receive(connection);
		if (result != NULL && PQntuples(result) == 1)
		{
			*tuples += strtod(PQgetvalue(result, 0, 0), NULL);
			*pages += strtod(PQgetvalue(result, 0, 1), NULL);
		}
		if (result != NULL)
			PQclear(result);
		if (table->kind == TABLE_KIND_REFERENCE)
			break; /* every copy is the whole table: one is the size */
	}
}

void
propagate_vacuum(VacuumStmt *statement)
{
	const char *verb = statement->is_vacuumcmd ? "VACUUM" : "ANALYZE";
	char *command = psprintf("%s %s", verb, option_list(statement));
	ListCell *cell;
	foreach (cell, statement->rels)
	{
		VacuumRelation *target = (VacuumRelation *) lfirst(cell);
		if (target->relation == NULL)
			continue;
		Oid table_id = RangeVarGetRelid(target->relation, NoLock, true);
		const DistributedTable *table = OidIsValid(table_id) ? distributed_table_lookup(table_id) : NULL;
		if (table == NULL)
			continue;
		double tuples, pages;
		vacuum_shards(table, command, &tuples, &pages);
		Relation relation = table_open(table_id, ShareUpdateExclusiveLock);
		vac_update_relstats(relation, (BlockNumber) Min(pages, (double) MaxBlockNumber), tuples, 0,
							RelationGetForm(relation)->relhasindex, InvalidTransactionId, InvalidMultiXactId, NULL,
							NULL, false);
		table_close(relation, ShareUpdateExclusiveLock);
	}
}
