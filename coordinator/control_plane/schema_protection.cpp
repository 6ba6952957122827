// schema_protection.cpp — the event trigger of a protected database.
#include "control_plane/schema_protection.h"

#include <stdexcept>
#include <string>

namespace shale {

namespace {

const char *const kInstall = R"SQL(
SET shale_deploy.request = 'protection';
CREATE SCHEMA IF NOT EXISTS shale_serve;
CREATE OR REPLACE FUNCTION shale_serve.refuse_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF tg_tag IN ('GRANT', 'REVOKE', 'ALTER DEFAULT PRIVILEGES', 'COMMENT') THEN
    RETURN;
  END IF;
  IF coalesce(current_setting('shale_deploy.request', true), '') <> ''
     AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RETURN;
  END IF;
  RAISE EXCEPTION 'database is protected: its schema changes only through deploy requests'
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = tg_tag || ' was refused on this protected database.',
          HINT = 'Make the change on a branch (shale branch create DATABASE BRANCH), open a deploy request '
                 '(shale deploy-request create DATABASE --branch BRANCH) and deploy it.';
END
$fn$;
DROP EVENT TRIGGER IF EXISTS shale_serve_protect;
CREATE EVENT TRIGGER shale_serve_protect ON ddl_command_start EXECUTE FUNCTION shale_serve.refuse_ddl();
RESET shale_deploy.request;
)SQL";

const char *const kRemove = "DROP EVENT TRIGGER IF EXISTS shale_serve_protect";

}  // namespace

void set_schema_protection(const PgConnection &router, bool on)
{
    PgResult result = router.exec(on ? kInstall : kRemove);
    if (!result.ok())
        throw std::runtime_error(std::string("cannot ") + (on ? "protect" : "unprotect") +
                                 " the database: " + result.error_message());
}

}  // namespace shale
