/*
 * utility_hook.h — guards utility statements (DDL, COPY, TRUNCATE) on
 * distributed and reference tables.
 */
#ifndef SHALE_UTILITY_HOOK_H
#define SHALE_UTILITY_HOOK_H

void utility_hook_init(void);

#endif
