/*
 * catalog_access.h — reads and writes of Shale's catalog run as the bootstrap
 * superuser, whoever the session user is: an application role that may read
 * and write a distributed table needs no privileges on schema shale for the
 * metadata cache, commit records or the clean-up of a dropped table.
 */
#ifndef SHALE_CATALOG_ACCESS_H
#define SHALE_CATALOG_ACCESS_H

typedef struct CatalogAccess
{
	Oid saved_user;
	int saved_security_context;
} CatalogAccess;

/* Switches to the bootstrap superuser; undo with end_catalog_access (also undone by an error). */
CatalogAccess begin_catalog_access(void);
void end_catalog_access(CatalogAccess access);

#endif
