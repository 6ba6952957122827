/*
 * catalog_access.cpp — see catalog_access.h. An ERROR in between needs no
 * clean-up: transaction abort restores the user id and security context.
 */
#include "shale/utils/postgres_headers.h"

extern "C" {
#include "catalog/pg_authid.h"
}

#include "shale/utils/catalog_access.h"

CatalogAccess
begin_catalog_access(void)
{
	CatalogAccess access;
	GetUserIdAndSecContext(&access.saved_user, &access.saved_security_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, access.saved_security_context | SECURITY_LOCAL_USERID_CHANGE);
	return access;
}

void
end_catalog_access(CatalogAccess access)
{
	SetUserIdAndSecContext(access.saved_user, access.saved_security_context);
}
