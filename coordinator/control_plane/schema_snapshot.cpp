// schema_snapshot.cpp — one catalog query per kind of object on the router,
// each returning a JSON object keyed by the object's qualified name. The
// session runs with search_path = pg_catalog, so every expression, type and
// name PostgreSQL prints is schema-qualified, the same way on every cluster.
#include "control_plane/schema_snapshot.h"

#include <stdexcept>

#include "common/cluster_layout.h"

namespace shale {

namespace {

// kUserRelations are the relations a user made: not in a system schema, not
// in the shale schema, not part of an extension, not hidden by a deploy.
const char *const kUserRelations =
    "SELECT c.oid, n.nspname, c.relname, c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS key "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'shale', 'shale_serve', 'shale_insights', 'pg_toast') "
    "AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%' "
    "AND c.relname NOT LIKE '\\_shale\\_dropped\\_%' AND c.relpersistence <> 't' "
    "AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid "
    "AND e.deptype = 'e')";

const char *const kSchemasQuery =
    "SELECT coalesce(jsonb_agg(quote_ident(n.nspname) ORDER BY n.nspname), '[]') FROM pg_namespace n "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'shale', 'shale_serve', 'shale_insights', 'public') AND n.nspname NOT LIKE 'pg\\_%' "
    "AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid "
    "AND e.deptype = 'e')";

const char *const kTablesQuery =
    "WITH sizes AS (SELECT s.table_id::oid AS relid, sum(p.size_bytes)::bigint AS bytes "
    "  FROM shale.shard s JOIN shale.shard_placement_stats() p ON p.shard_id = s.shard_id GROUP BY 1) "
    "SELECT coalesce(jsonb_object_agg(r.key, jsonb_build_object("
    " 'schema', quote_ident(r.nspname), 'name', quote_ident(r.relname), 'order', r.oid::bigint,"
    " 'unlogged', c.relpersistence = 'u',"
    " 'kind', coalesce(d.kind, 'local'),"
    " 'distribution_column', (SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = r.oid "
    "   AND a.attnum = d.distribution_attnum),"
    " 'colocation_id', d.colocation_id,"
    " 'shard_count', (SELECT count(*) FROM shale.shard s WHERE s.table_id::oid = r.oid),"
    " 'rows', greatest(c.reltuples, 0)::bigint,"
    " 'bytes', coalesce(z.bytes, pg_table_size(r.oid)),"
    " 'columns', (SELECT coalesce(jsonb_agg(jsonb_build_object("
    "     'name', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod),"
    "     'not_null', a.attnotnull, 'identity', a.attidentity::text,"
    "     'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,"
    "     'generated', CASE WHEN a.attgenerated = 's' THEN pg_get_expr(ad.adbin, ad.adrelid) END,"
    "     'collation', CASE WHEN a.attcollation <> t.typcollation THEN "
    "        (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co "
    "         JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END"
    "   ) ORDER BY a.attnum), '[]')"
    "   FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    "   LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    "   WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped"
    "   AND a.attname NOT LIKE '\\_shale\\_dropped\\_%')"
    ")), '{}') FROM (%RELATIONS%) r JOIN pg_class c ON c.oid = r.oid "
    "LEFT JOIN shale.distributed_table d ON d.table_id::oid = r.oid LEFT JOIN sizes z ON z.relid = r.oid "
    "WHERE r.relkind IN ('r', 'p')";

const char *const kConstraintsQuery =
    "SELECT coalesce(jsonb_object_agg(r.key || '.' || quote_ident(k.conname), jsonb_build_object("
    " 'table', r.key, 'name', quote_ident(k.conname), 'type', k.contype::text,"
    " 'definition', pg_get_constraintdef(k.oid), 'validated', k.convalidated,"
    " 'columns', (SELECT coalesce(jsonb_agg(quote_ident(a.attname) ORDER BY a.attnum), '[]') FROM pg_attribute a "
    "   WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)),"
    " 'references', (SELECT quote_ident(fn.nspname) || '.' || quote_ident(f.relname) FROM pg_class f "
    "   JOIN pg_namespace fn ON fn.oid = f.relnamespace WHERE f.oid = k.confrelid)"
    ")), '{}') FROM (%RELATIONS%) r JOIN pg_constraint k ON k.conrelid = r.oid WHERE r.relkind IN ('r', 'p')";

const char *const kIndexesQuery =
    "SELECT coalesce(jsonb_object_agg(quote_ident(r.nspname) || '.' || quote_ident(ic.relname), jsonb_build_object("
    " 'table', r.key, 'name', quote_ident(ic.relname), 'definition', pg_get_indexdef(i.indexrelid),"
    " 'unique', i.indisunique, 'valid', i.indisvalid,"
    " 'columns', (SELECT coalesce(jsonb_agg(quote_ident(a.attname) ORDER BY a.attnum), '[]') FROM pg_attribute a "
    "   WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))"
    ")), '{}') FROM (%RELATIONS%) r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ic ON ic.oid = i.indexrelid "
    "WHERE r.relkind IN ('r', 'p') AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid "
    "AND k.conrelid = r.oid)";

const char *const kSequencesQuery =
    "SELECT coalesce(jsonb_object_agg(r.key, jsonb_build_object("
    " 'type', format_type(s.seqtypid, NULL), 'start', s.seqstart, 'increment', s.seqincrement,"
    " 'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,"
    " 'owned_by', (SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname) "
    "   FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
    "   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
    "   WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype = 'a' LIMIT 1)"
    ")), '{}') FROM (%RELATIONS%) r JOIN pg_sequence s ON s.seqrelid = r.oid WHERE r.relkind = 'S' "
    "AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid "
    "AND d.deptype = 'i')";

const char *const kViewsQuery =
    "SELECT coalesce(jsonb_object_agg(r.key, jsonb_build_object("
    " 'definition', pg_get_viewdef(r.oid), 'materialized', r.relkind = 'm', 'order', r.oid::bigint"
    ")), '{}') FROM (%RELATIONS%) r WHERE r.relkind IN ('v', 'm')";

const char *const kFunctionsQuery =
    "SELECT coalesce(jsonb_object_agg(quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || "
    " pg_get_function_identity_arguments(p.oid) || ')', jsonb_build_object("
    " 'definition', pg_get_functiondef(p.oid), 'kind', p.prokind::text, 'order', p.oid::bigint"
    ")), '{}') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'shale', 'shale_serve', 'shale_insights') AND n.nspname NOT LIKE 'pg\\_%' "
    "AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass "
    "AND e.objid = p.oid AND e.deptype = 'e')";

std::string with_relations(std::string query)
{
    const std::string marker = "%RELATIONS%";
    for (size_t at = query.find(marker); at != std::string::npos; at = query.find(marker))
        query.replace(at, marker.size(), kUserRelations);
    return query;
}

nlohmann::json json_query(const PgConnection &router, const std::string &sql, const std::string &what)
{
    PgResult result = router.exec(sql);
    if (!result.ok() || result.rows() != 1)
        throw std::runtime_error("cannot read the " + what + " of the database: " + result.error_message());
    return nlohmann::json::parse(result.value(0, 0));
}

}  // namespace

nlohmann::json read_schema_snapshot(const PgConnection &router)
{
    PgResult path = router.exec("SET search_path = pg_catalog");
    if (!path.ok())
        throw std::runtime_error("cannot read the schema: " + path.error_message());
    nlohmann::json snapshot = {
        {"schemas", json_query(router, kSchemasQuery, "schemas")},
        {"tables", json_query(router, with_relations(kTablesQuery), "tables")},
        {"constraints", json_query(router, with_relations(kConstraintsQuery), "constraints")},
        {"indexes", json_query(router, with_relations(kIndexesQuery), "indexes")},
        {"sequences", json_query(router, with_relations(kSequencesQuery), "sequences")},
        {"views", json_query(router, with_relations(kViewsQuery), "views")},
        {"functions", json_query(router, kFunctionsQuery, "functions")},
    };
    router.exec("RESET search_path");
    return snapshot;
}

PgConnection open_router(const std::string &cluster_dir, const std::string &application_name)
{
    auto layout = ClusterLayout::load(cluster_dir);
    if (!layout)
        throw std::runtime_error("the database's cluster is not there (" + cluster_dir + ")");
    PgConnection router = PgConnection::connect(layout->router_conninfo(application_name));
    if (!router.ok())
        throw std::runtime_error("cannot reach the database's router: " + router.error_message());
    return router;
}

}  // namespace shale
