// tls_certificate.h — the TLS identity of a `shale agent`: a private key and a
// self-signed certificate made on its first start (OpenSSL), and the SHA-256
// fingerprint by which `shale up` and shaled pin it.
#pragma once

#include <openssl/x509.h>

#include <string>

namespace shale {

// ensure_self_signed_certificate writes a new P-256 key (mode 0600) and a
// self-signed certificate for common_name (valid for ten years) unless both
// files exist already. Throws std::runtime_error on failure.
void ensure_self_signed_certificate(const std::string &certificate_file, const std::string &key_file,
                                    const std::string &common_name);

// certificate_fingerprint is the SHA-256 of the DER form, as lower-case hex.
std::string certificate_fingerprint(X509 *certificate);
// certificate_file_fingerprint reads a PEM certificate and returns its fingerprint.
std::string certificate_file_fingerprint(const std::string &certificate_file);

}  // namespace shale
