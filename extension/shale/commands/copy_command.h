/*
 * copy_command.h — COPY into and out of distributed and reference tables.
 */
#ifndef SHALE_COPY_COMMAND_H
#define SHALE_COPY_COMMAND_H

extern "C" {
#include "nodes/parsenodes.h"
}

/* Runs COPY table FROM … for a distributed or reference table; returns the row count. */
uint64 copy_into_distributed_table(CopyStmt *statement, const char *query_string);

/* COPY table TO … as COPY (SELECT columns FROM table) TO …, which the planner distributes. */
CopyStmt *copy_out_as_query(CopyStmt *statement);

#endif
