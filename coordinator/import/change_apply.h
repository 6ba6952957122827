// change_apply.h — applies decoded source changes through the Shale router:
// inserts, updates and deletes by replica identity (an update that changes a
// row's distribution column becomes a delete and an insert, since its row
// moves to another shard), truncates; several source transactions per router
// transaction, with the end LSN of the last one written to shale_import.progress
// in that same transaction, so a restart skips exactly what was applied.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "import/distribution_plan.h"
#include "import/pgoutput_decoder.h"
#include "import/source_catalog.h"

namespace shale::import {

// ApplyError is a failed statement on Shale; connection_lost tells a lost
// connection or a passing failure such as a failover (retry after
// reconnecting) from a statement Shale refused.
struct ApplyError : std::runtime_error {
    ApplyError(const std::string &message, bool lost) : std::runtime_error(message), connection_lost(lost) {}
    bool connection_lost;
};

// missing_rows counts updates whose row Shale did not have (a difference to
// look into); already_deleted counts deletes of rows Shale had removed already
// (an ON DELETE CASCADE on Shale runs before the source's cascaded deletes arrive).
struct ApplyCounters {
    long long transactions = 0, inserts = 0, updates = 0, deletes = 0, moves = 0, missing_rows = 0,
              already_deleted = 0;
};

class ChangeApplier {
public:
    ChangeApplier(const PgConnection &target, const SourceCatalog &catalog, const ImportPlan &plan, std::string slot);

    // applied_lsn reads the end LSN of the last transaction applied (from shale_import.progress).
    std::uint64_t applied_lsn();

    void relation(const Relation &relation);
    // begin_transaction returns false when that transaction was applied before (it is then skipped).
    bool begin_transaction(std::uint64_t final_lsn);
    void change(const DecodedMessage &message);
    void end_transaction(std::uint64_t end_lsn);

    bool batch_open() const { return batch_open_; }
    // commit_batch records the last end LSN and commits the router transaction; returns that LSN.
    std::uint64_t commit_batch();
    void rollback_batch();
    int batch_transactions() const { return batch_transactions_; }

    const ApplyCounters &counters() const { return counters_; }

private:
    struct Target {
        Relation relation;
        std::string qualified;
        int distribution_index = -1;     // index of the distribution column in the relation, -1 if none
        std::vector<bool> always_identity;
        std::vector<std::string> types;  // each column's type on Shale, to cast the parameters
        bool overriding = false;         // an ALWAYS identity column: inserts need OVERRIDING SYSTEM VALUE
    };

    const Target &target_of(std::uint32_t relation_id) const;
    PgResult run(const std::string &sql, const std::vector<const char *> &values);
    void open_batch();
    std::string key_condition(const Target &target, const Tuple &old_values, std::vector<const char *> &values,
                              int first_parameter) const;
    void insert_row(const Target &target, const Tuple &row);
    void update_row(const Target &target, const DecodedMessage &message);
    void move_row(const Target &target, const std::string &old_condition, std::vector<const char *> old_values,
                  Tuple row);
    void delete_row(const Target &target, const DecodedMessage &message);

    const PgConnection &connection_;
    const SourceCatalog &catalog_;
    const ImportPlan &plan_;
    std::string slot_;
    std::map<std::uint32_t, Target> targets_;
    std::map<std::string, std::string> prepared_;  // SQL -> prepared statement name
    bool batch_open_ = false;
    bool skipping_ = false;
    int batch_transactions_ = 0;
    std::uint64_t applied_lsn_ = 0, batch_lsn_ = 0;
    ApplyCounters counters_;
};

}  // namespace shale::import
