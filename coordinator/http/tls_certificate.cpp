// tls_certificate.cpp — key and self-signed certificate generation with OpenSSL 3.
#include "http/tls_certificate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace shale {

namespace {

// open_private_file opens path for writing with mode 0600 (the key must never be readable by others).
FILE *open_private_file(const std::string &path)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot create " + path);
    FILE *file = fdopen(fd, "w");
    if (file == nullptr) {
        close(fd);
        throw std::runtime_error("cannot open " + path);
    }
    return file;
}

}  // namespace

void ensure_self_signed_certificate(const std::string &certificate_file, const std::string &key_file,
                                    const std::string &common_name)
{
    if (access(certificate_file.c_str(), R_OK) == 0 && access(key_file.c_str(), R_OK) == 0)
        return;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), &X509_free);
    if (!key || !certificate)
        throw std::runtime_error("cannot generate a TLS key");
    unsigned char serial[16];
    RAND_bytes(serial, sizeof(serial));
    serial[0] &= 0x7f;
    std::unique_ptr<BIGNUM, decltype(&BN_free)> serial_number(BN_bin2bn(serial, sizeof(serial), nullptr), &BN_free);
    X509_set_version(certificate.get(), 2);
    BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(certificate.get()));
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(certificate.get(), key.get());
    X509_NAME *name = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("shale agent"), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(certificate.get(), name);
    if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0)
        throw std::runtime_error("cannot sign the TLS certificate");

    FILE *key_out = open_private_file(key_file);
    bool key_ok = PEM_write_PrivateKey(key_out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    fclose(key_out);
    FILE *certificate_out = std::fopen(certificate_file.c_str(), "w");
    if (certificate_out == nullptr)
        throw std::runtime_error("cannot create " + certificate_file);
    bool certificate_ok = PEM_write_X509(certificate_out, certificate.get()) == 1;
    fclose(certificate_out);
    if (!key_ok || !certificate_ok)
        throw std::runtime_error("cannot write the TLS key or certificate");
}

std::string certificate_fingerprint(X509 *certificate)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1)
        throw std::runtime_error("cannot compute a certificate fingerprint");
    static const char *hex = "0123456789abcdef";
    std::string text;
    for (unsigned int index = 0; index < length; index++) {
        text += hex[digest[index] >> 4];
        text += hex[digest[index] & 15];
    }
    return text;
}

std::string certificate_file_fingerprint(const std::string &certificate_file)
{
    FILE *in = std::fopen(certificate_file.c_str(), "r");
    if (in == nullptr)
        throw std::runtime_error("cannot read " + certificate_file);
    std::unique_ptr<X509, decltype(&X509_free)> certificate(PEM_read_X509(in, nullptr, nullptr, nullptr), &X509_free);
    fclose(in);
    if (!certificate)
        throw std::runtime_error(certificate_file + " holds no PEM certificate");
    return certificate_fingerprint(certificate.get());
}

}  // namespace shale
