// http_target.cpp — request target parsing (path, query parameters, percent decoding).
#include "http/http_target.h"

namespace shale {

namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string percent_decode(const std::string &text)
{
    std::string decoded;
    for (size_t index = 0; index < text.size(); index++) {
        char c = text[index];
        if (c == '+') {
            decoded += ' ';
        } else if (c == '%' && index + 2 < text.size() && hex_value(text[index + 1]) >= 0 &&
                   hex_value(text[index + 2]) >= 0) {
            decoded += static_cast<char>(hex_value(text[index + 1]) * 16 + hex_value(text[index + 2]));
            index += 2;
        } else {
            decoded += c;
        }
    }
    return decoded;
}

ParsedTarget parse_target(const std::string &target)
{
    ParsedTarget parsed;
    size_t question = target.find('?');
    parsed.path = percent_decode(target.substr(0, question));
    if (question == std::string::npos)
        return parsed;
    std::string query = target.substr(question + 1);
    size_t start = 0;
    while (start <= query.size()) {
        size_t end = query.find('&', start);
        if (end == std::string::npos)
            end = query.size();
        std::string pair = query.substr(start, end - start);
        if (!pair.empty()) {
            size_t equals = pair.find('=');
            std::string key = percent_decode(pair.substr(0, equals));
            std::string value = equals == std::string::npos ? "" : percent_decode(pair.substr(equals + 1));
            parsed.query[key] = value;
        }
        start = end + 1;
    }
    return parsed;
}

}  // namespace shale
