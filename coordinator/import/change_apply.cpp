// change_apply.cpp — turns decoded pgoutput changes into statements on the
// Shale router (see change_apply.h).
#include "import/change_apply.h"

#include "import/schema_copy.h"
#include "import/source_connection.h"

namespace shale::import {

namespace {

const char *value_of(const TupleValue &value) { return value.kind == 'n' ? nullptr : value.text.c_str(); }

std::string parameter(int number) { return "$" + std::to_string(number); }

// typed_parameter is parameter `number` for a column. A parameter of a type
// made by the user (an enum, a domain: its OID differs on every node) reaches
// the workers untyped through the router, and a worker cannot infer it from an
// INSERT's VALUES list; sent as text and cast, it is text on every node.
std::string typed_parameter(int number, const RelationColumn &column, const std::string &type)
{
    constexpr std::uint32_t kFirstUserObjectId = 16384;  // PostgreSQL's FirstNormalObjectId
    if (column.type_oid < kFirstUserObjectId || type.empty())
        return parameter(number);
    return parameter(number) + "::text::" + type;
}

// worth_retrying says whether a failed statement may succeed when the batch is
// applied again: the connection to Shale is gone, or Shale reports a passing
// failure (a worker node lost or restarting during a failover: SQLSTATE class 08,
// 57P01-57P03; a read-only node; a serialization failure or deadlock).
bool worth_retrying(const PgConnection &connection, const PgResult &result)
{
    if (PQstatus(connection.get()) != CONNECTION_OK)
        return true;
    const char *sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    if (!sqlstate)
        return false;
    std::string code = sqlstate;
    return code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" || code == "57P03" || code == "25006" ||
           code == "40001" || code == "40P01";
}

}  // namespace

ChangeApplier::ChangeApplier(const PgConnection &target, const SourceCatalog &catalog, const ImportPlan &plan,
                             std::string slot)
    : connection_(target), catalog_(catalog), plan_(plan), slot_(std::move(slot))
{
}

std::uint64_t ChangeApplier::applied_lsn()
{
    PgResult result = connection_.exec_params(std::string("SELECT lsn FROM ") + kProgressTable + " WHERE slot = $1",
                                              {slot_});
    if (!result.ok())
        throw ApplyError("reading the import's progress on Shale: " + result.error_message(),
                         worth_retrying(connection_, result));
    applied_lsn_ = result.rows() ? parse_lsn(result.value(0, 0)) : 0;
    return applied_lsn_;
}

void ChangeApplier::relation(const Relation &relation)
{
    Target target;
    target.relation = relation;
    const SourceTable *table = nullptr;
    for (const auto &candidate : catalog_.tables)
        if (candidate.schema == relation.schema && candidate.name == relation.name)
            table = &candidate;
    if (!table) {
        // pgoutput also describes the partitions of a table it publishes through its root; their
        // changes arrive under the root's relation, so such a description is only kept for the error.
        targets_[relation.id] = target;
        return;
    }
    target.qualified = table->qualified;
    const TablePlan *table_plan = plan_.find(table->qualified);
    for (size_t i = 0; i < relation.columns.size(); ++i) {
        const SourceColumn *column = table->column(relation.columns[i].name);
        bool always = column && column->identity == 'a';
        target.always_identity.push_back(always);
        target.types.push_back(column ? column->type : "");
        target.overriding = target.overriding || always;
        if (table_plan && table_plan->kind == "distributed" && relation.columns[i].name == table_plan->column)
            target.distribution_index = static_cast<int>(i);
    }
    targets_[relation.id] = target;
}

const ChangeApplier::Target &ChangeApplier::target_of(std::uint32_t relation_id) const
{
    auto found = targets_.find(relation_id);
    if (found == targets_.end())
        throw ApplyError("a change arrived for relation " + std::to_string(relation_id) + " before its description",
                         false);
    if (found->second.qualified.empty())
        throw ApplyError("a change arrived for table " + found->second.relation.schema + "." +
                             found->second.relation.name + ", which the import does not know",
                         false);
    return found->second;
}

PgResult ChangeApplier::run(const std::string &sql, const std::vector<const char *> &values)
{
    auto found = prepared_.find(sql);
    if (found == prepared_.end()) {
        std::string name = "shale_import_" + std::to_string(prepared_.size() + 1);
        PgResult prepared(PQprepare(connection_.get(), name.c_str(), sql.c_str(), static_cast<int>(values.size()), nullptr));
        if (!prepared.ok())
            throw ApplyError("preparing " + sql + " on Shale: " + prepared.error_message(),
                             worth_retrying(connection_, prepared));
        found = prepared_.emplace(sql, name).first;
    }
    PgResult result(PQexecPrepared(connection_.get(), found->second.c_str(), static_cast<int>(values.size()),
                                   values.data(), nullptr, nullptr, 0));
    if (!result.ok())
        throw ApplyError(result.error_message() + "\nstatement: " + sql, worth_retrying(connection_, result));
    return result;
}

void ChangeApplier::open_batch()
{
    if (batch_open_)
        return;
    PgResult begin = connection_.exec("BEGIN");
    if (!begin.ok())
        throw ApplyError("BEGIN on Shale: " + begin.error_message(), worth_retrying(connection_, begin));
    batch_open_ = true;
}

bool ChangeApplier::begin_transaction(std::uint64_t final_lsn)
{
    skipping_ = final_lsn < applied_lsn_;
    return !skipping_;
}

void ChangeApplier::end_transaction(std::uint64_t end_lsn)
{
    if (skipping_) {
        skipping_ = false;
        return;
    }
    ++counters_.transactions;
    ++batch_transactions_;
    batch_lsn_ = end_lsn;
}

std::uint64_t ChangeApplier::commit_batch()
{
    if (!batch_open_)
        return applied_lsn_;
    std::string lsn = format_lsn(batch_lsn_);
    run(std::string("INSERT INTO ") + kProgressTable +
            " (slot, lsn) VALUES ($1, $2::pg_lsn) ON CONFLICT (slot) DO UPDATE SET lsn = EXCLUDED.lsn, updated_at = now()",
        {slot_.c_str(), lsn.c_str()});
    PgResult commit = connection_.exec("COMMIT");
    if (!commit.ok())
        throw ApplyError("COMMIT on Shale: " + commit.error_message(), worth_retrying(connection_, commit));
    batch_open_ = false;
    batch_transactions_ = 0;
    applied_lsn_ = batch_lsn_;
    return applied_lsn_;
}

void ChangeApplier::rollback_batch()
{
    if (batch_open_)
        connection_.exec("ROLLBACK");
    batch_open_ = false;
    batch_transactions_ = 0;
    skipping_ = false;
}

std::string ChangeApplier::key_condition(const Target &target, const Tuple &old_values,
                                         std::vector<const char *> &values, int first_parameter) const
{
    std::string condition;
    bool full = target.relation.replica_identity == 'f';
    for (size_t i = 0; i < target.relation.columns.size() && i < old_values.size(); ++i) {
        if (!target.relation.columns[i].key)
            continue;
        std::string column = quote_identifier(target.relation.columns[i].name);
        int number = first_parameter + static_cast<int>(values.size());
        // A whole-row identity compares text forms, which also works for types without "=" (json, point).
        condition += (condition.empty() ? "" : " AND ") +
                     (full ? column + "::text IS NOT DISTINCT FROM " + parameter(number) + "::text"
                           : column + " = " + typed_parameter(number, target.relation.columns[i], target.types[i]));
        values.push_back(value_of(old_values[i]));
    }
    if (condition.empty())
        throw ApplyError("table " + target.qualified + " has no replica identity on the source", false);
    return condition;
}

void ChangeApplier::insert_row(const Target &target, const Tuple &row)
{
    std::string columns, placeholders;
    std::vector<const char *> values;
    for (size_t i = 0; i < target.relation.columns.size() && i < row.size(); ++i) {
        columns += (columns.empty() ? "" : ", ") + quote_identifier(target.relation.columns[i].name);
        values.push_back(value_of(row[i]));
        placeholders += (placeholders.empty() ? "" : ", ") + typed_parameter(static_cast<int>(values.size()), target.relation.columns[i], target.types[i]);
    }
    run("INSERT INTO " + target.qualified + " (" + columns + ")" +
            (target.overriding ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES (" + placeholders + ")",
        values);
}

void ChangeApplier::change(const DecodedMessage &message)
{
    if (skipping_)
        return;
    open_batch();
    switch (message.kind) {
    case MessageKind::insert:
        insert_row(target_of(message.relation_id), message.new_tuple);
        ++counters_.inserts;
        break;
    case MessageKind::update:
        update_row(target_of(message.relation_id), message);
        ++counters_.updates;
        break;
    case MessageKind::remove:
        delete_row(target_of(message.relation_id), message);
        ++counters_.deletes;
        break;
    case MessageKind::truncate:
        for (std::uint32_t relation_id : message.truncated)
            run("TRUNCATE " + target_of(relation_id).qualified + (message.truncate_restart_identity ? " RESTART IDENTITY" : "") +
                    (message.truncate_cascade ? " CASCADE" : ""),
                {});
        break;
    default:
        break;
    }
}

void ChangeApplier::update_row(const Target &target, const DecodedMessage &message)
{
    const Tuple &row = message.new_tuple;
    const Tuple &old_values = message.old_kind ? message.old_tuple : message.new_tuple;
    int distribution = target.distribution_index;
    std::string assignments;
    std::vector<const char *> values;
    for (size_t i = 0; i < target.relation.columns.size() && i < row.size(); ++i) {
        if (row[i].kind == 'u' || static_cast<int>(i) == distribution || target.always_identity[i])
            continue;
        values.push_back(value_of(row[i]));
        assignments += (assignments.empty() ? "" : ", ") + quote_identifier(target.relation.columns[i].name) + " = " +
                       typed_parameter(static_cast<int>(values.size()), target.relation.columns[i], target.types[i]);
    }
    std::vector<const char *> key_values;
    std::string condition = key_condition(target, old_values, key_values, static_cast<int>(values.size()) + 1);
    bool same_shard = true;     // the row stays where it is (or the table has no shards)
    std::string pin;            // "AND distribution column = new value" when the key lacks that column
    if (distribution >= 0) {
        const TupleValue &new_value = row[distribution];
        if (target.relation.columns[distribution].key) {
            const TupleValue &old_value = old_values[distribution];
            same_shard = old_value.kind == new_value.kind && old_value.text == new_value.text;
        } else {
            pin = " AND " + quote_identifier(target.relation.columns[distribution].name) + " = " +
                  typed_parameter(static_cast<int>(values.size() + key_values.size()) + 1,
                                  target.relation.columns[distribution], target.types[distribution]);
        }
    }
    if (!same_shard) {
        ++counters_.moves;
        std::vector<const char *> old_only;
        std::string old_condition = key_condition(target, old_values, old_only, 1);
        move_row(target, old_condition, old_only, row);
        return;
    }
    values.insert(values.end(), key_values.begin(), key_values.end());
    if (!pin.empty())
        values.push_back(value_of(row[distribution]));
    PgResult result = assignments.empty()
                          ? run("SELECT count(*) FROM " + target.qualified + " WHERE " + condition + pin, values)
                          : run("UPDATE " + target.qualified + " SET " + assignments + " WHERE " + condition + pin, values);
    long long affected = assignments.empty() ? std::stoll(result.value(0, 0)) : std::stoll(PQcmdTuples(result.get()));
    if (affected > 0)
        return;
    if (!pin.empty()) {
        // Not in the shard of its new distribution value: the row moves (its old value is unknown here).
        ++counters_.moves;
        std::vector<const char *> old_only;
        std::string old_condition = key_condition(target, old_values, old_only, 1);
        move_row(target, old_condition, old_only, row);
        return;
    }
    ++counters_.missing_rows;
}

void ChangeApplier::move_row(const Target &target, const std::string &old_condition,
                             std::vector<const char *> old_values, Tuple row)
{
    // Unchanged TOASTed values are not in the change: read them from the old row first.
    std::string unchanged;
    std::vector<size_t> unchanged_index;
    for (size_t i = 0; i < row.size(); ++i)
        if (row[i].kind == 'u') {
            unchanged += (unchanged.empty() ? "" : ", ") + quote_identifier(target.relation.columns[i].name);
            unchanged_index.push_back(i);
        }
    if (!unchanged.empty()) {
        PgResult old_row = run("SELECT " + unchanged + " FROM " + target.qualified + " WHERE " + old_condition + " LIMIT 1",
                               old_values);
        if (old_row.rows() == 0) {
            ++counters_.missing_rows;
            return;
        }
        for (size_t j = 0; j < unchanged_index.size(); ++j) {
            TupleValue &value = row[unchanged_index[j]];
            value.kind = old_row.is_null(0, static_cast<int>(j)) ? 'n' : 't';
            value.text = old_row.value(0, static_cast<int>(j));
        }
    }
    PgResult deleted = run("DELETE FROM " + target.qualified + " WHERE " + old_condition, old_values);
    if (std::stoll(PQcmdTuples(deleted.get())) == 0)
        ++counters_.missing_rows;
    insert_row(target, row);
}

void ChangeApplier::delete_row(const Target &target, const DecodedMessage &message)
{
    std::vector<const char *> values;
    std::string condition = key_condition(target, message.old_tuple, values, 1);
    PgResult deleted = run("DELETE FROM " + target.qualified + " WHERE " + condition, values);
    if (std::stoll(PQcmdTuples(deleted.get())) == 0)
        ++counters_.already_deleted;
}

}  // namespace shale::import
