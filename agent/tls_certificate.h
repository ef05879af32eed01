// A TLS Secret's certificate and key, checked with OpenSSL before haproxy sees them, and
// the names a certificate carries (what the HTTPS client reports about the peer).
//
// check_tls_secret: tls.crt must hold at least one PEM certificate (the first is the
// leaf, the rest its chain), tls.key one unencrypted PEM private key, and the key must
// be the leaf's. The result is the PEM bundle haproxy loads (`crt <file>`): the
// certificates then the key, re-encoded by OpenSSL, so nothing but what was parsed
// reaches the file. Errors (kInvalid) name the secret and the field:
//   "Secret default/foo-tls: tls.crt holds no PEM certificate"
//   "Secret default/foo-tls: tls.key does not match the certificate in tls.crt"
//
// Pure functions (OpenSSL's per-thread error queue is cleared); thread-safe.
#pragma once

#include <string>
#include <vector>

#include "agent/tls_secrets.h"
#include "core/status.h"

struct x509_st;  // OpenSSL's X509

namespace csim::agent {

struct CertificateSummary {
  std::string subject_cn;         // "" when the subject has no commonName
  std::vector<std::string> sans;  // subjectAltName DNS names and IP addresses, in order
  std::string not_after;          // "2026-01-02T03:04:05Z"
  std::string sha256;             // fingerprint of the DER, lower-case hex
  bool operator==(const CertificateSummary&) const = default;
};

// The names and validity of one certificate. Non-printable bytes in names become '?'.
CertificateSummary summarize_certificate(const x509_st* certificate);

struct CheckedTlsSecret {
  std::string pem_bundle;   // certificates (leaf first) then the private key (PKCS#8)
  CertificateSummary leaf;  // the certificate haproxy serves
  size_t chain_length = 0;  // certificates in tls.crt, the leaf included
};

// what: how messages name the secret ("Secret default/foo-tls").
core::Result<CheckedTlsSecret> check_tls_secret(const TlsSecret& secret, const std::string& what);

}  // namespace csim::agent
