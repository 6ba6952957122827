// pgoutput_decoder.cpp — a reader over one pgoutput message (big-endian
// integers, NUL-terminated strings, tuple data) and the decoder of each kind.
#include "import/pgoutput_decoder.h"

#include <cstdio>

namespace shale::import {

namespace {

// MessageReader reads network-order fields from a buffer, refusing to read past its end.
class MessageReader {
public:
    MessageReader(const char *data, std::size_t length) : data_(data), length_(length) {}

    std::uint8_t byte() { need(1); return static_cast<std::uint8_t>(data_[position_++]); }
    std::uint16_t int16() { return static_cast<std::uint16_t>(integer(2)); }
    std::uint32_t int32() { return static_cast<std::uint32_t>(integer(4)); }
    std::uint64_t int64() { return integer(8); }

    std::string string()
    {
        std::size_t start = position_;
        while (position_ < length_ && data_[position_] != '\0')
            ++position_;
        if (position_ >= length_)
            throw DecodeError("pgoutput message: unterminated string");
        return std::string(data_ + start, data_ + position_++);
    }

    std::string bytes(std::size_t count)
    {
        need(count);
        std::string value(data_ + position_, count);
        position_ += count;
        return value;
    }

    Tuple tuple()
    {
        std::uint16_t columns = int16();
        Tuple values(columns);
        for (auto &value : values) {
            value.kind = static_cast<char>(byte());
            if (value.kind == 't' || value.kind == 'b') {
                if (value.kind == 'b')
                    throw DecodeError("pgoutput message: binary tuple values are not expected (protocol 1)");
                value.text = bytes(int32());
            } else if (value.kind != 'n' && value.kind != 'u') {
                throw DecodeError(std::string("pgoutput message: unknown tuple value kind '") + value.kind + "'");
            }
        }
        return values;
    }

private:
    void need(std::size_t count) const
    {
        if (position_ + count > length_)
            throw DecodeError("pgoutput message: cut short");
    }

    std::uint64_t integer(int size)
    {
        need(static_cast<std::size_t>(size));
        std::uint64_t value = 0;
        for (int i = 0; i < size; ++i)
            value = (value << 8) | static_cast<std::uint8_t>(data_[position_++]);
        return value;
    }

    const char *data_;
    std::size_t length_;
    std::size_t position_ = 0;
};

}  // namespace

DecodedMessage decode_pgoutput(const char *data, std::size_t length)
{
    MessageReader reader(data, length);
    DecodedMessage message;
    char kind = static_cast<char>(reader.byte());
    switch (kind) {
    case 'B':
        message.kind = MessageKind::begin;
        message.final_lsn = reader.int64();
        reader.int64();  // commit time
        message.xid = reader.int32();
        break;
    case 'C':
        message.kind = MessageKind::commit;
        reader.byte();  // flags
        message.commit_lsn = reader.int64();
        message.end_lsn = reader.int64();
        reader.int64();  // commit time
        break;
    case 'R': {
        message.kind = MessageKind::relation;
        message.relation.id = reader.int32();
        message.relation.schema = reader.string();
        message.relation.name = reader.string();
        message.relation.replica_identity = static_cast<char>(reader.byte());
        std::uint16_t columns = reader.int16();
        for (std::uint16_t i = 0; i < columns; ++i) {
            RelationColumn column;
            column.key = (reader.byte() & 1) != 0;
            column.name = reader.string();
            column.type_oid = reader.int32();
            reader.int32();  // type modifier
            message.relation.columns.push_back(column);
        }
        break;
    }
    case 'I':
        message.kind = MessageKind::insert;
        message.relation_id = reader.int32();
        if (reader.byte() != 'N')
            throw DecodeError("pgoutput insert: expected a new tuple");
        message.new_tuple = reader.tuple();
        break;
    case 'U': {
        message.kind = MessageKind::update;
        message.relation_id = reader.int32();
        char next = static_cast<char>(reader.byte());
        if (next == 'K' || next == 'O') {
            message.old_kind = next;
            message.old_tuple = reader.tuple();
            next = static_cast<char>(reader.byte());
        }
        if (next != 'N')
            throw DecodeError("pgoutput update: expected a new tuple");
        message.new_tuple = reader.tuple();
        break;
    }
    case 'D': {
        message.kind = MessageKind::remove;
        message.relation_id = reader.int32();
        char next = static_cast<char>(reader.byte());
        if (next != 'K' && next != 'O')
            throw DecodeError("pgoutput delete: expected an old key or row");
        message.old_kind = next;
        message.old_tuple = reader.tuple();
        break;
    }
    case 'T': {
        message.kind = MessageKind::truncate;
        std::uint32_t relations = reader.int32();
        std::uint8_t options = reader.byte();
        message.truncate_cascade = (options & 1) != 0;
        message.truncate_restart_identity = (options & 2) != 0;
        for (std::uint32_t i = 0; i < relations; ++i)
            message.truncated.push_back(reader.int32());
        break;
    }
    case 'O':  // origin
    case 'Y':  // type
    case 'M':  // logical decoding message
        message.kind = MessageKind::ignored;
        break;
    default:
        throw DecodeError(std::string("pgoutput: unknown message kind '") + kind + "'");
    }
    return message;
}

std::string format_lsn(std::uint64_t lsn)
{
    char text[32];
    std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
    return text;
}

std::uint64_t parse_lsn(const std::string &text)
{
    auto slash = text.find('/');
    if (text.empty() || slash == std::string::npos)
        return 0;
    return (std::stoull(text.substr(0, slash), nullptr, 16) << 32) | std::stoull(text.substr(slash + 1), nullptr, 16);
}

}  // namespace shale::import
