/*
 * planner_hook.h — finds statements that touch distributed tables.
 */
#ifndef SHALE_PLANNER_HOOK_H
#define SHALE_PLANNER_HOOK_H

void planner_hook_init(void);

#endif
