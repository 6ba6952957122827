// secrets.h — random identifiers, API tokens and passwords (OpenSSL's CSPRNG),
// and the SHA-256 digest under which tokens are stored: a token is shown once
// and only its digest is kept, so a copy of the state database holds no token.
#pragma once

#include <string>

namespace shale {

// random_hex returns 2 * bytes lowercase hex digits from RAND_bytes; throws
// when the generator fails.
std::string random_hex(int bytes);

// new_id returns PREFIX_ + 16 hex digits, e.g. "db_3f9c...", for resource ids.
std::string new_id(const std::string &prefix);

// new_api_token returns "shl_" + 64 hex digits (256 random bits).
std::string new_api_token();

// new_password returns a 24-character password of letters and digits
// (about 142 bits), safe inside URIs and SQL literals without escaping.
std::string new_password();

// sha256_hex returns the SHA-256 digest of text as 64 hex digits.
std::string sha256_hex(const std::string &text);

}  // namespace shale
