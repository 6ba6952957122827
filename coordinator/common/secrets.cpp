// secrets.cpp — RAND_bytes and SHA-256 from OpenSSL's libcrypto.
#include "common/secrets.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace shale {

namespace {

std::vector<unsigned char> random_bytes(int count)
{
    std::vector<unsigned char> bytes(static_cast<size_t>(count));
    if (RAND_bytes(bytes.data(), count) != 1)
        throw std::runtime_error("the random number generator failed");
    return bytes;
}

std::string to_hex(const unsigned char *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (size_t index = 0; index < size; index++) {
        hex += digits[data[index] >> 4];
        hex += digits[data[index] & 0x0f];
    }
    return hex;
}

}  // namespace

std::string random_hex(int bytes)
{
    auto data = random_bytes(bytes);
    return to_hex(data.data(), data.size());
}

std::string new_id(const std::string &prefix)
{
    return prefix + "_" + random_hex(8);
}

std::string new_api_token()
{
    return "shl_" + random_hex(32);
}

std::string new_password()
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    constexpr unsigned alphabet_size = sizeof(alphabet) - 1;  // 57
    std::string password;
    while (password.size() < 24) {
        for (unsigned char byte : random_bytes(32)) {
            // rejection sampling keeps every character equally likely
            if (byte >= 256 - (256 % alphabet_size))
                continue;
            password += alphabet[byte % alphabet_size];
            if (password.size() == 24)
                break;
        }
    }
    return password;
}

std::string sha256_hex(const std::string &text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return to_hex(digest, length);
}

}  // namespace shale
