/*
 * vacuum_propagation.h — VACUUM and ANALYZE of distributed and reference
 * tables run on their shards, and the router's table takes the shards' sizes.
 */
#ifndef SHALE_VACUUM_PROPAGATION_H
#define SHALE_VACUUM_PROPAGATION_H

extern "C" {
#include "nodes/parsenodes.h"
}

/* After PostgreSQL ran a VACUUM or ANALYZE on the router: the same on the shards of the distributed tables it names. */
void propagate_vacuum(VacuumStmt *statement);

#endif
