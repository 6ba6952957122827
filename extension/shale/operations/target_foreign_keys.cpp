/*
 * target_foreign_keys.cpp — gives the new shards of a move or split the
 * foreign keys of their tables.
 *
 * Foreign keys are added in the cutover, after the last changes are applied
 * and while writes are blocked, not before the copy: during the copy a
 * target's shards lag behind its own copy of a reference table (the router
 * writes that directly), so a key checked there could refuse a delete the
 * source allows. They are added NOT VALID, which needs no scan of the rows
 * while writes wait (the rows are a copy of rows the source had checked);
 * the clean-up validates them afterwards without blocking writes.
 */
#include "shale/utils/postgres_headers.h"

#include "shale/metadata/shard_foreign_keys.h"
#include "shale/metadata/metadata_cache.h"
#include "shale/metadata/shard_names.h"
#include "shale/operations/shard_operation.h"

/* The piece of another co-located table that holds the same range on the same group. */
static const ShardPiece *
matching_piece(ShardOperation *operation, const ShardPiece *piece, Oid table_id)
{
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		const ShardPiece *other = (const ShardPiece *) lfirst(cell);
		if (other->table_id == table_id && other->hash_min == piece->hash_min && other->target_group == piece->target_group)
			return other;
	}
	elog(ERROR, "shale: operation %lld has no piece of table %u for hashes from %lld", (long long) operation->operation_id,
		 table_id, (long long) piece->hash_min);
	return NULL;
}

/* The ADD CONSTRAINT … NOT VALID statements of every piece going to one group, as one string. */
static char *
foreign_key_commands_for_group(ShardOperation *operation, int target_group)
{
	StringInfoData sql;
	initStringInfo(&sql);
	ListCell *cell;
	foreach (cell, operation->pieces)
	{
		const ShardPiece *piece = (const ShardPiece *) lfirst(cell);
		if (piece->target_group != target_group)
			continue;
		ListCell *key_cell;
		foreach (key_cell, table_foreign_keys(piece->table_id))
		{
			const ShardForeignKey *key = (const ShardForeignKey *) lfirst(key_cell);
			const DistributedTable *referenced = distributed_table_lookup(key->referenced_id);
			if (referenced == NULL)
				elog(ERROR, "shale: a foreign key of table %u references a table that is not distributed", piece->table_id);
			const char *parent = referenced->kind == TABLE_KIND_REFERENCE
									 ? shard_qualified_name(referenced->table_id, referenced->shards[0].shard_id)
									 : matching_piece(operation, piece, key->referenced_id)->new_name;
			char *command = shard_foreign_key_command(key, piece->new_name, parent);
			/* pg_get_constraintdef prints NOT VALID for a key the router holds so already */
			appendStringInfo(&sql, "%s%s;", command, key->validated ? " NOT VALID" : "");
		}
	}
	return sql.data;
}

void
add_target_foreign_keys(ShardOperation *operation, long timeout_ms)
{
	ListCell *group_cell, *target_cell;
	forboth (group_cell, operation->target_groups, target_cell, operation->targets)
	{
		char *commands = foreign_key_commands_for_group(operation, lfirst_int(group_cell));
		if (commands[0] == '\0')
			continue;
		WorkerConnection *target = (WorkerConnection *) lfirst(target_cell);
		/* a key locks the group's copy of a referenced reference table: a long writer there must not stretch the block */
		worker_connection_execute(target, psprintf("SET lock_timeout = %ld", Max(timeout_ms, 1)));
		worker_connection_execute(target, commands);
	}
}

char *
validate_foreign_keys_command(List *tables)
{
	StringInfoData names;
	initStringInfo(&names);
	ListCell *cell;
	foreach (cell, tables)
		appendStringInfo(&names, "%s%s", names.len > 0 ? "," : "", quote_literal_cstr((char *) lfirst(cell)));
	/* best effort: a key that does not validate stays NOT VALID (still enforced for new rows) and is reported */
	return psprintf("DO $$ DECLARE c record; BEGIN "
					"FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint "
					"WHERE contype = 'f' AND NOT convalidated AND conrelid IN "
					"(SELECT to_regclass(n) FROM unnest(ARRAY[%s]::text[]) n) LOOP "
					"BEGIN EXECUTE format('ALTER TABLE %%s VALIDATE CONSTRAINT %%I', c.t, c.conname); "
					"EXCEPTION WHEN others THEN RAISE WARNING 'shale: foreign key %% of %% stays NOT VALID: %%', "
					"c.conname, c.t, SQLERRM; END; END LOOP; END $$",
					names.data);
}
