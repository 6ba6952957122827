// password_hash.cpp — PBKDF2-HMAC-SHA256 from OpenSSL's libcrypto.
#include "control_plane/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>
#include <vector>

#include "common/secrets.h"

namespace shale {

namespace {

// 600,000 iterations: OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (about 0.3 s here)
constexpr int kIterations = 600000;
constexpr int kHashBytes = 32;
const std::string kScheme = "pbkdf2-sha256";

std::string derive_hex(const std::string &password, const std::string &salt_hex, int iterations)
{
    unsigned char out[kHashBytes];
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char *>(salt_hex.data()), static_cast<int>(salt_hex.size()),
                          iterations, EVP_sha256(), kHashBytes, out) != 1)
        throw std::runtime_error("PBKDF2 failed");
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char byte : out) {
        hex += digits[byte >> 4];
        hex += digits[byte & 0x0f];
    }
    return hex;
}

}  // namespace

std::string hash_password(const std::string &password)
{
    std::string salt = random_hex(16);
    return kScheme + "$" + std::to_string(kIterations) + "$" + salt + "$" + derive_hex(password, salt, kIterations);
}

bool verify_password(const std::string &password, const std::string &stored)
{
    // scheme$iterations$salt$hash
    size_t first = stored.find('$');
    size_t second = first == std::string::npos ? first : stored.find('$', first + 1);
    size_t third = second == std::string::npos ? second : stored.find('$', second + 1);
    if (third == std::string::npos || stored.substr(0, first) != kScheme)
        return false;
    std::string iterations_text = stored.substr(first + 1, second - first - 1);
    if (iterations_text.empty() || iterations_text.size() > 8 ||
        iterations_text.find_first_not_of("0123456789") != std::string::npos)
        return false;
    std::string expected = stored.substr(third + 1);
    std::string actual = derive_hex(password, stored.substr(second + 1, third - second - 1), std::stoi(iterations_text));
    return actual.size() == expected.size() && CRYPTO_memcmp(actual.data(), expected.data(), actual.size()) == 0;
}

void burn_password_time(const std::string &password)
{
    derive_hex(password, "0000000000000000", kIterations);
}

}  // namespace shale
