// Test certificates made at test time with OpenSSL's C API (no files, no `openssl`
// command): an EC P-256 key and a self-signed certificate with a CN and DNS
// subjectAltNames, valid from a minute ago for `days`. Test-only; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "agent/tls_secrets.h"

namespace csim::agent::test_certs {

TlsSecret self_signed(const std::string& cn, const std::vector<std::string>& dns_names,
                      int days = 2);

// The same secret with its private key encrypted under `passphrase` (PEM, AES-256).
std::string encrypted_key(const TlsSecret& secret, const std::string& passphrase);

}  // namespace csim::agent::test_certs
