/*
 * remote_transaction.h — ties work on worker groups to the local transaction.
 *
 * The first use of a group in a local transaction sends BEGIN; at commit one
 * written group commits plainly, several go through two-phase commit with a
 * commit record written in the router's own local commit (DESIGN.md).
 */
#ifndef SHALE_REMOTE_TRANSACTION_H
#define SHALE_REMOTE_TRANSACTION_H

#include "shale/connection/worker_connection.h"

void remote_transaction_init(void);

/*
 * The connection to a group's primary inside the current local transaction:
 * BEGIN has been sent, and commit or abort will finish the remote side.
 * will_write marks the group as written: only written groups need 2PC.
 */
WorkerConnection *remote_transaction_connection(int group_id, bool will_write);

/*
 * The connection to a group's primary for a statement that needs no
 * distributed transaction of its own (a read, or a lone write): if the group
 * already takes part in the transaction, the statement runs inside it, with a
 * savepoint when in a subtransaction.
 */
WorkerConnection *statement_connection(int group_id);

/*
 * Whether a write must run inside a distributed transaction even when it goes
 * to a single worker group: inside a transaction block, or inside a function
 * (a later statement may fail and must roll it back). A lone top-level
 * statement writing one group commits on the worker by itself.
 */
bool remote_statement_needs_transaction(void);

#endif
