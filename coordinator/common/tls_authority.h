// tls_authority.h — the certificate authority of an installation and the
// server certificates it signs for every PostgreSQL node, so that clients can
// connect with sslmode=verify-full (docs/security.md).
//
// A bare cluster keeps its authority in DIR/tls; `shale serve` keeps one for
// all of its databases in SERVE_DIR/tls and hands it to `shale up --tls-dir`.
// The authority's key never leaves that directory (mode 0600, owned by the
// server OS user); each node gets its own key and certificate in its data
// directory, which replicas inherit through pg_basebackup.
#pragma once

#include <string>
#include <vector>

#include "common/os_user.h"

namespace shale {

// tls_ca_certificate_file is TLS_DIR/ca.crt, the file clients give as sslrootcert.
std::string tls_ca_certificate_file(const std::string &tls_dir);

// ensure_certificate_authority makes TLS_DIR/ca.key (P-256) and a self-signed
// TLS_DIR/ca.crt valid for ten years, unless both exist. Throws std::runtime_error.
void ensure_certificate_authority(const std::string &tls_dir, const OsUser &user);

// issue_server_certificate writes a new key and a certificate signed by the
// authority in tls_dir, valid for the given host names and IP addresses
// (subjectAltName), to certificate_file and key_file (mode 0600, owned by user).
void issue_server_certificate(const std::string &tls_dir, const std::string &certificate_file,
                              const std::string &key_file, const std::vector<std::string> &hosts,
                              const OsUser &user);

// read_ca_certificate returns the PEM text of TLS_DIR/ca.crt, empty when there is none.
std::string read_ca_certificate(const std::string &tls_dir);

}  // namespace shale
