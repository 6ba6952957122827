// source_freeze.cpp — blocking and freezing the source's writes at the cutover.
#include "import/source_freeze.h"

#include "cli/cli_error.h"
#include "import/source_connection.h"

namespace shale::import {

void block_writes(const PgConnection &source, const std::vector<std::string> &tables, int lock_timeout_s)
{
    std::string list;
    for (const auto &table : tables)
        list += (list.empty() ? "" : ", ") + table;
    // LOCK TABLE takes the tables one by one, so an application transaction that already
    // wrote one of them and then writes another can deadlock with it; PostgreSQL then
    // cancels one of the two. A short deadlock_timeout here (a superuser setting) makes
    // the lock the one cancelled, after 100 ms instead of 1 s; it is then taken again.
    constexpr int kAttempts = 10;
    bool short_deadlock_check = true;
    for (int attempt = 1;; ++attempt) {
        exec_checked(source, "BEGIN", "starting the write block on the source");
        exec_checked(source, "SET LOCAL lock_timeout = '" + std::to_string(lock_timeout_s) + "s'",
                     "starting the write block on the source");
        if (short_deadlock_check && !source.exec("SET LOCAL deadlock_timeout = '100ms'").ok()) {
            short_deadlock_check = false;  // not a superuser: keep the server's setting
            source.exec("ROLLBACK");
            --attempt;
            continue;
        }
        PgResult locked = source.exec("LOCK TABLE " + list + " IN EXCLUSIVE MODE");
        if (locked.ok())
            return;
        const char *sqlstate = PQresultErrorField(locked.get(), PG_DIAG_SQLSTATE);
        bool deadlock = sqlstate && std::string(sqlstate) == "40P01";
        std::string message = locked.error_message();
        source.exec("ROLLBACK");
        if (deadlock && attempt < kAttempts)
            continue;
        throw CliError("could not block writes on the source within " + std::to_string(lock_timeout_s) +
                       " s: " + message +
                       "\nhint: a long transaction holds the tables; find it in pg_stat_activity, or retry with a "
                       "longer --lock-timeout. Nothing changed: the import goes on with shale import start --dir DIR");
    }
}

nlohmann::json freeze_writes(const PgConnection &source, const std::vector<std::string> &tables)
{
    nlohmann::json grants = nlohmann::json::array();
    for (const auto &table : tables) {
        PgResult holders = source.exec_params(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, a.privilege_type "
            "FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a "
            "LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE c.oid = $1::regclass AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') "
            "AND (a.grantee = 0 OR NOT r.rolsuper)",
            {table});
        if (!holders.ok())
            throw CliError("reading the privileges of " + table + " on the source: " + holders.error_message());
        for (int row = 0; row < holders.rows(); ++row) {
            std::string role = holders.value(row, 0), privilege = holders.value(row, 1);
            exec_checked(source, "REVOKE " + privilege + " ON " + table + " FROM " + role,
                         "freezing writes to " + table + " on the source");
            grants.push_back({{"table", table}, {"role", role}, {"privilege", privilege}});
        }
    }
    return grants;
}

void unfreeze_writes(const PgConnection &source, const nlohmann::json &grants)
{
    for (const auto &grant : grants)
        exec_checked(source,
                     "GRANT " + grant["privilege"].get<std::string>() + " ON " + grant["table"].get<std::string>() +
                         " TO " + grant["role"].get<std::string>(),
                     "giving writes back on the source");
}

}  // namespace shale::import
