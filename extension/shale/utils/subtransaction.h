/*
 * subtransaction.h — runs a piece of work in an internal subtransaction and
 * hands back its error instead of raising it, for callers that must clean up
 * (or go on with the next item) when the work fails.
 */
#ifndef SHALE_SUBTRANSACTION_H
#define SHALE_SUBTRANSACTION_H

/*
 * Runs work(argument) in a subtransaction. Returns NULL when it succeeded (the
 * subtransaction is committed into the caller's transaction), or the error,
 * copied into the caller's memory context, after rolling the subtransaction
 * back: its locks are released and the error state is clean.
 */
ErrorData *run_in_subtransaction(void (*work)(void *argument), void *argument);

/*
 * Inside PG_CATCH: copies the error being handled into the given memory
 * context and clears the error state, so the copy stays valid (a copy made in
 * ErrorContext would be freed by FlushErrorState). The caller's context is
 * switched to `into`.
 */
ErrorData *take_error(MemoryContext into);

#endif
