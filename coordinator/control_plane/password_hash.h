// password_hash.h — the passwords of portal users, stored as salted
// PBKDF2-HMAC-SHA256 (OpenSSL) with many iterations, so that a copy of the
// state database does not give the passwords away cheaply.
#pragma once

#include <string>

namespace shale {

// hash_password returns "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX" for a new
// random 16-byte salt.
std::string hash_password(const std::string &password);

// verify_password tells whether password matches a hash_password() string
// (compared in constant time); false for a malformed stored value.
bool verify_password(const std::string &password, const std::string &stored);

// burn_password_time costs as much as one verify_password: sign-in runs it for
// an unknown e-mail address, so the answer time does not tell which exist.
void burn_password_time(const std::string &password);

}  // namespace shale
