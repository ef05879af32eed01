// Self-signed certificates for the API server's HTTPS (OpenSSL's C API; EC P-256, SHA-256).
//
// kubectl (client-go) sends a bearer token only to an https:// server, so a csim started
// with a token serves TLS with a certificate of its own CA, and its kubeconfig carries that
// CA as certificate-authority-data:
//
//   CertRequest request{.ip_addresses = {"10.1.2.3", "127.0.0.1"}, .dns_names = {"localhost"}};
//   auto cert = ensure_serving_cert(state_dir + "/tls", request);   // reused on restart
//   options.tls = TlsOptions{cert->cert.cert_pem, cert->cert.key_pem};        // server.h
//   write_kubeconfig(path, {.server_url = url, .token = t, .ca_pem = cert->cert.ca_cert_pem});
//
// Two certificates: a CA (CN "csim-ca", basicConstraints CA:TRUE, keyCertSign, 10 years)
// and the server's (CN "csim-apiserver", CA:FALSE, digitalSignature, serverAuth, the
// request's SANs, signed by the CA). Go's TLS verification reads only the SANs, never the
// CN, so every name a client dials must be among them.
//
// Pure functions over PEM text, plus ensure_serving_cert() which keeps the files in a
// directory. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace csim::kube::apiserver {

struct CertRequest {
  std::vector<std::string> ip_addresses;  // IPv4/IPv6 literals (SAN IP entries)
  std::vector<std::string> dns_names;     // host names: [a-z0-9.-], 1..253 characters (SAN DNS)
  std::chrono::hours validity{24 * 365};  // of the server certificate (the CA: 10 years)
};

// PEM texts (PKCS#8 keys).
struct ServingCert {
  std::string ca_cert_pem;  // what clients trust (kubeconfig certificate-authority-data)
  std::string ca_key_pem;   // signs new server certificates (e.g. for another address)
  std::string cert_pem;     // the server's certificate, issued by the CA
  std::string key_pem;      // the server's private key
};

// What a certificate says (for reuse decisions and tests).
struct CertInfo {
  std::string subject_cn;
  std::string issuer_cn;
  std::vector<std::string> ip_addresses;  // canonical text ("127.0.0.1", "::1")
  std::vector<std::string> dns_names;
  int64_t not_before = 0;  // seconds since the epoch
  int64_t not_after = 0;
  bool is_ca = false;
  std::string key_type;  // "EC P-256", "RSA 2048", ...
};

// A new CA and a server certificate it issued for `request`. kInvalid for a request with
// no SAN, an address that is not an IP literal or a name that is not a host name;
// kInternal naming the OpenSSL call that failed.
core::Result<ServingCert> generate_serving_cert(const CertRequest& request);

// A new server certificate (and key) for `request`, issued by the CA in ca_cert_pem /
// ca_key_pem; the result carries the same CA. kInvalid as above or for an unusable CA.
core::Result<ServingCert> issue_server_cert(const std::string& ca_cert_pem, const std::string& ca_key_pem,
                                            const CertRequest& request);

// Parses one PEM certificate. kInvalid when it does not parse.
core::Result<CertInfo> inspect_cert(const std::string& cert_pem);

// OK when `cert` can serve `request` at `now` for at least `min_remaining` more: both
// certificates parse and are valid then, the CA is a CA and issued (and signed) the
// server certificate, each key matches its certificate, and every SAN of the request is in
// the server certificate. Otherwise kInvalid saying what is wrong.
core::Status check_serving_cert(const ServingCert& cert, const CertRequest& request,
                                std::chrono::system_clock::time_point now,
                                std::chrono::hours min_remaining);

// The certificate files in `dir` (created with mode 0700 when missing):
//   ca.crt, ca.key (0600), apiserver.crt, apiserver.key (0600).
// Reuses them when check_serving_cert() accepts them with 30 days to spare; otherwise
// issues a new server certificate from the kept CA when the CA is still good for a
// year (so kubeconfigs handed out earlier keep working), else makes everything anew.
// Files are replaced atomically (temp file + rename). kUnavailable naming the path and
// the error when they cannot be read or written.
struct EnsuredCert {
  ServingCert cert;
  std::string action;  // "reused", "reissued" (new server certificate) or "created"
  std::string reason;  // why not reused ("" when reused)
};
core::Result<EnsuredCert> ensure_serving_cert(const std::string& dir, const CertRequest& request,
                                              std::chrono::system_clock::time_point now =
                                                  std::chrono::system_clock::now());

}  // namespace csim::kube::apiserver
