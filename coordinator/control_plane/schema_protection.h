// schema_protection.h — a protected database: an event trigger on its router
// (ddl_command_start) refuses DDL with an error that points to deploy
// requests. A deploy passes because it runs as the superuser with
// shale_deploy.request set; GRANT, REVOKE and COMMENT stay allowed (roles
// of the control plane need them). No change to the extension.
#pragma once

#include "common/pg_connection.h"

namespace shale {

// set_schema_protection installs (on) or removes (off) the trigger; throws
// std::runtime_error when the router refuses.
void set_schema_protection(const PgConnection &router, bool on);

}  // namespace shale
