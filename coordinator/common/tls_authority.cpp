// tls_authority.cpp — making the certificate authority and signing node
// certificates with OpenSSL's libcrypto (see tls_authority.h).
#include "common/tls_authority.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace shale {

namespace {

using KeyPointer = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertificatePointer = std::unique_ptr<X509, decltype(&X509_free)>;

constexpr long kCaValidSeconds = 10L * 365 * 24 * 3600;
constexpr long kServerValidSeconds = 5L * 365 * 24 * 3600;

std::string ca_key_file(const std::string &tls_dir) { return tls_dir + "/ca.key"; }

[[noreturn]] void fail(const std::string &what) { throw std::runtime_error("TLS: " + what); }

KeyPointer new_key()
{
    KeyPointer key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    if (!key)
        fail("could not generate a P-256 key");
    return key;
}

// give_to_user makes a file private to the server OS user (PostgreSQL refuses
// a key that others can read).
void give_to_user(const std::string &path, const OsUser &user)
{
    chmod(path.c_str(), 0600);
    if (user.switch_needed && chown(path.c_str(), user.uid, user.gid) != 0)
        fail("could not give " + path + " to OS user " + user.name);
}

// write_pem writes a key or certificate through a temporary file and a rename,
// so a reader never sees half of it.
template <typename Writer>
void write_pem(const std::string &path, const OsUser &user, Writer write)
{
    const std::string temporary = path + ".new";
    FILE *file = fopen(temporary.c_str(), "w");
    if (!file)
        fail("could not write " + temporary);
    chmod(temporary.c_str(), 0600);
    bool written = write(file) == 1;
    if (fclose(file) != 0 || !written)
        fail("could not write " + temporary);
    give_to_user(temporary, user);
    std::filesystem::rename(temporary, path);
}

void write_key(const std::string &path, EVP_PKEY *key, const OsUser &user)
{
    write_pem(path, user, [&](FILE *file) {
        return PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
    });
}

void write_certificate(const std::string &path, X509 *certificate, const OsUser &user)
{
    write_pem(path, user, [&](FILE *file) { return PEM_write_X509(file, certificate); });
    chmod(path.c_str(), 0644);  // a certificate is public
}

// read_pem reads one PEM object from path with OpenSSL's reader for it.
template <typename Object>
std::unique_ptr<Object, void (*)(Object *)> read_pem(const std::string &path,
                                                      Object *(*reader)(FILE *, Object **, pem_password_cb *, void *),
                                                      void (*release)(Object *), const char *what)
{
    FILE *file = fopen(path.c_str(), "r");
    if (!file)
        fail("cannot read " + path);
    std::unique_ptr<Object, void (*)(Object *)> object(reader(file, nullptr, nullptr, nullptr), release);
    fclose(file);
    if (!object)
        fail(path + " is not a PEM " + what);
    return object;
}

// add_extension adds one X509v3 extension given in OpenSSL's text form.
void add_extension(X509 *certificate, X509 *issuer, int nid, const std::string &value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension)
        fail("could not make the extension " + value);
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
}

// new_certificate starts a certificate for key with a random serial, the given
// common name and validity; the caller adds extensions and signs it.
CertificatePointer new_certificate(EVP_PKEY *key, const std::string &common_name, long valid_seconds)
{
    CertificatePointer certificate(X509_new(), X509_free);
    if (!certificate)
        fail("out of memory");
    X509_set_version(certificate.get(), 2);
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof(serial)) != 1)
        fail("no random bytes for a serial number");
    serial[0] &= 0x7f;  // a positive number
    BIGNUM *number = BN_bin2bn(serial, sizeof(serial), nullptr);
    BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate.get()));
    BN_free(number);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);  // tolerate clocks a little behind
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), valid_seconds);
    X509_set_pubkey(certificate.get(), key);
    X509_NAME *name = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>("Shale"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1, 0);
    return certificate;
}

// subject_alt_names turns host names and addresses into "DNS:a,IP:b".
std::string subject_alt_names(const std::vector<std::string> &hosts)
{
    std::ostringstream names;
    for (size_t i = 0; i < hosts.size(); i++) {
        unsigned char address[16];
        bool is_address = inet_pton(AF_INET, hosts[i].c_str(), address) == 1 ||
                          inet_pton(AF_INET6, hosts[i].c_str(), address) == 1;
        names << (i ? "," : "") << (is_address ? "IP:" : "DNS:") << hosts[i];
    }
    return names.str();
}

}  // namespace

std::string tls_ca_certificate_file(const std::string &tls_dir)
{
    return tls_dir + "/ca.crt";
}

void ensure_certificate_authority(const std::string &tls_dir, const OsUser &user)
{
    if (std::filesystem::exists(tls_ca_certificate_file(tls_dir)) && std::filesystem::exists(ca_key_file(tls_dir)))
        return;
    std::filesystem::create_directories(tls_dir);
    chmod(tls_dir.c_str(), 0755);  // clients read ca.crt as sslrootcert; ca.key stays 0600
    if (user.switch_needed && chown(tls_dir.c_str(), user.uid, user.gid) != 0)
        fail("could not give " + tls_dir + " to OS user " + user.name);
    KeyPointer key = new_key();
    unsigned char tag[4];
    RAND_bytes(tag, sizeof(tag));
    char hex[9];
    snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);
    CertificatePointer certificate = new_certificate(key.get(), std::string("Shale CA ") + hex, kCaValidSeconds);
    X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
    add_extension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(certificate.get(), certificate.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0)
        fail("could not sign the CA certificate");
    write_key(ca_key_file(tls_dir), key.get(), user);
    write_certificate(tls_ca_certificate_file(tls_dir), certificate.get(), user);
}

void issue_server_certificate(const std::string &tls_dir, const std::string &certificate_file,
                              const std::string &key_file, const std::vector<std::string> &hosts,
                              const OsUser &user)
{
    if (hosts.empty())
        fail("a server certificate needs at least one host name or address");
    auto ca_key = read_pem(ca_key_file(tls_dir), PEM_read_PrivateKey, EVP_PKEY_free, "private key");
    auto ca_certificate = read_pem(tls_ca_certificate_file(tls_dir), PEM_read_X509, X509_free, "certificate");
    KeyPointer key = new_key();
    CertificatePointer certificate = new_certificate(key.get(), hosts.front(), kServerValidSeconds);
    X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca_certificate.get()));
    add_extension(certificate.get(), ca_certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(certificate.get(), ca_certificate.get(), NID_key_usage, "critical,digitalSignature,keyAgreement");
    add_extension(certificate.get(), ca_certificate.get(), NID_ext_key_usage, "serverAuth");
    add_extension(certificate.get(), ca_certificate.get(), NID_subject_alt_name, subject_alt_names(hosts));
    add_extension(certificate.get(), ca_certificate.get(), NID_authority_key_identifier, "keyid");
    if (X509_sign(certificate.get(), ca_key.get(), EVP_sha256()) == 0)
        fail("could not sign the certificate for " + hosts.front());
    write_key(key_file, key.get(), user);
    write_certificate(certificate_file, certificate.get(), user);
}

std::string read_ca_certificate(const std::string &tls_dir)
{
    std::ifstream in(tls_ca_certificate_file(tls_dir));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace shale
