/*
 * subtransaction.cpp — see subtransaction.h.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "utils/resowner.h"
}

#include "shale/utils/subtransaction.h"

ErrorData *
run_in_subtransaction(void (*work)(void *argument), void *argument)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	ErrorData *volatile error = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		work(argument);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		error = take_error(caller_context);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_END_TRY();
	return error;
}

ErrorData *
take_error(MemoryContext into)
{
	MemoryContextSwitchTo(into);
	ErrorData *error = CopyErrorData();
	FlushErrorState();
	return error;
}
