/*
 * distributed_deadlock.cpp — victims of distributed deadlocks (see
 * distributed_deadlock.h). The victims are a few pids in shared memory; a
 * chosen backend is also sent a cancel signal, which wakes it from its wait on
 * the worker, and it reports the deadlock instead of a plain cancel.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
}

#include "shale/transaction/distributed_deadlock.h"

#define VICTIM_SLOTS 64

typedef struct DeadlockVictims
{
	pg_atomic_uint32 pids[VICTIM_SLOTS];
} DeadlockVictims;

static DeadlockVictims *victims = NULL;
static shmem_request_hook_type previous_request_hook = NULL;
static shmem_startup_hook_type previous_startup_hook = NULL;

static void
request_shared_memory(void)
{
	if (previous_request_hook != NULL)
		previous_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(DeadlockVictims)));
}

static void
attach_shared_memory(void)
{
	if (previous_startup_hook != NULL)
		previous_startup_hook();
	bool found;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	victims = (DeadlockVictims *) ShmemInitStruct("shale deadlock victims", sizeof(DeadlockVictims), &found);
	if (!found)
		for (int i = 0; i < VICTIM_SLOTS; i++)
			pg_atomic_init_u32(&victims->pids[i], 0);
	LWLockRelease(AddinShmemInitLock);
}

void
distributed_deadlock_init(void)
{
	previous_request_hook = shmem_request_hook;
	shmem_request_hook = request_shared_memory;
	previous_startup_hook = shmem_startup_hook;
	shmem_startup_hook = attach_shared_memory;
}

void
check_for_deadlock_victim(void)
{
	if (victims == NULL || !QueryCancelPending)
		return;
	uint32 own_pid = (uint32) MyProcPid;
	for (int i = 0; i < VICTIM_SLOTS; i++)
	{
		uint32 expected = own_pid;
		if (pg_atomic_compare_exchange_u32(&victims->pids[i], &expected, 0))
		{
			QueryCancelPending = false;
			ereport(ERROR, (errcode(ERRCODE_T_R_DEADLOCK_DETECTED), errmsg("distributed deadlock detected"),
							errdetail("This transaction waited on a worker node for a lock held by another "
									  "transaction, which waited for this one on another worker node."),
							errhint("Run the transaction again. Taking row locks in the same order avoids this.")));
		}
	}
}

/*
 * shale_cancel_for_deadlock marks a router backend as a deadlock victim and
 * cancels its statement. Superuser only: shaled calls it.
 */
SHALE_FUNCTION(shale_cancel_for_deadlock)
{
	int pid = PG_GETARG_INT32(0);
	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("only a superuser may cancel a transaction for a distributed deadlock")));
	if (victims == NULL)
		PG_RETURN_BOOL(false);
	bool placed = false;
	for (int i = 0; i < VICTIM_SLOTS && !placed; i++)
	{
		uint32 expected = 0;
		placed = pg_atomic_compare_exchange_u32(&victims->pids[i], &expected, (uint32) pid);
	}
	if (!placed)
		PG_RETURN_BOOL(false);
	PG_RETURN_DATUM(DirectFunctionCall1(pg_cancel_backend, Int32GetDatum(pid)));
}
