/*
 * postgres_headers.h — the one way C++ files of the extension include PostgreSQL.
 *
 * postgres.h must come first and every PostgreSQL header must be inside
 * extern "C". port.h redefines printf-family names as macros; they are undone
 * here so that the few C++ standard headers we use keep working.
 */
#ifndef SHALE_POSTGRES_HEADERS_H
#define SHALE_POSTGRES_HEADERS_H

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

#undef printf
#undef sprintf
#undef snprintf
#undef vsnprintf
#undef fprintf
#undef vfprintf
#undef strerror

/* Entry points PostgreSQL looks up by name: C linkage, default visibility. */
#define SHALE_EXPORT extern "C" __attribute__((visibility("default")))

/* Casts a walker to the untyped pointer type tree walkers take (via void(*)(void), which GCC allows). */
#define SHALE_WALKER(function) ((bool (*)())(void (*)(void))(function))

/* The same for tree mutators. */
#define SHALE_MUTATOR(function) ((Node * (*)())(void (*)(void))(function))

/* Declares a V1 SQL-callable function with C linkage and default visibility. */
#define SHALE_FUNCTION(name)                                                                       \
	SHALE_EXPORT const Pg_finfo_record *pg_finfo_##name(void);                                     \
	const Pg_finfo_record *pg_finfo_##name(void)                                                   \
	{                                                                                              \
		static const Pg_finfo_record my_finfo = {1};                                               \
		return &my_finfo;                                                                          \
	}                                                                                              \
	SHALE_EXPORT Datum name(PG_FUNCTION_ARGS)

#endif /* SHALE_POSTGRES_HEADERS_H */
