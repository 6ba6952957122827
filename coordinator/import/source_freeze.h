// source_freeze.h — the cutover's hold on the source's writes. block_writes
// takes EXCLUSIVE locks on the imported tables in an open transaction (writes
// wait, reads go on); freeze_writes revokes INSERT, UPDATE, DELETE and
// TRUNCATE on them from every role that holds them, so writes fail after the
// locks go; unfreeze_writes grants back exactly what was revoked.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/pg_connection.h"

namespace shale::import {

// block_writes begins a transaction and locks the tables, waiting at most
// lock_timeout_s; throws CliError (transaction rolled back) when it cannot.
void block_writes(const PgConnection &source, const std::vector<std::string> &tables, int lock_timeout_s);

// freeze_writes revokes write privileges inside the blocking transaction and
// returns the revoked grants ([{table, role, privilege}]) for unfreeze_writes.
nlohmann::json freeze_writes(const PgConnection &source, const std::vector<std::string> &tables);

// unfreeze_writes grants the revoked privileges back; throws CliError on failure.
void unfreeze_writes(const PgConnection &source, const nlohmann::json &grants);

}  // namespace shale::import
