// pgoutput_decoder.h — decodes the messages of PostgreSQL's pgoutput logical
// decoding plugin (protocol version 1: Begin, Commit, Relation, Insert, Update,
// Delete, Truncate; Origin and Type are read and ignored), as they arrive in
// the XLogData frames of a START_REPLICATION stream. Values are in text form.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace shale::import {

// One column value of a tuple: 'n' NULL, 'u' unchanged TOASTed value (not sent), 't' text.
struct TupleValue {
    char kind = 'n';
    std::string text;
};
using Tuple = std::vector<TupleValue>;

struct RelationColumn {
    std::string name;
    bool key = false;  // part of the replica identity
    std::uint32_t type_oid = 0;
};

struct Relation {
    std::uint32_t id = 0;
    std::string schema, name;
    char replica_identity = 'd';
    std::vector<RelationColumn> columns;
};

enum class MessageKind { begin, commit, relation, insert, update, remove, truncate, ignored };

struct DecodedMessage {
    MessageKind kind = MessageKind::ignored;
    std::uint64_t final_lsn = 0;   // Begin: LSN of the commit record
    std::uint64_t commit_lsn = 0;  // Commit
    std::uint64_t end_lsn = 0;     // Commit: end of the commit record
    std::uint32_t xid = 0;
    std::uint32_t relation_id = 0; // Insert, Update, Delete
    Relation relation;             // Relation
    char old_kind = 0;             // Update/Delete: 'K' key columns, 'O' whole old row, 0 none
    Tuple old_tuple, new_tuple;
    std::vector<std::uint32_t> truncated;  // Truncate: relation ids
    bool truncate_cascade = false, truncate_restart_identity = false;
};

struct DecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// decode_pgoutput decodes one pgoutput message; throws DecodeError when it is cut short or unknown.
DecodedMessage decode_pgoutput(const char *data, std::size_t length);

// format_lsn prints an LSN as PostgreSQL does ("16/B374D848"); parse_lsn reads one (0 for "").
std::string format_lsn(std::uint64_t lsn);
std::uint64_t parse_lsn(const std::string &text);

}  // namespace shale::import
