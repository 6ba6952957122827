/*
 * distributed_deadlock.h — ends a transaction that shaled found in a
 * distributed deadlock, with a clear error.
 *
 * Two transactions that lock rows on two worker groups in opposite orders
 * wait for each other on different workers, where no single PostgreSQL sees
 * the cycle. shaled builds the wait-for graph from every worker (worker
 * connections are named after their router backend), and calls
 * shale.cancel_for_deadlock(pid) on the router for one transaction of each
 * cycle; that backend then fails with SQLSTATE 40P01.
 */
#ifndef SHALE_DISTRIBUTED_DEADLOCK_H
#define SHALE_DISTRIBUTED_DEADLOCK_H

void distributed_deadlock_init(void);

/* Raises the deadlock error when this backend was chosen as a victim; call before CHECK_FOR_INTERRUPTS. */
void check_for_deadlock_victim(void);

#endif
