// Secrets (v1): what csim checks, how stringData is folded in, and how a TLS Secret's
// certificate and key are read back.
//
// validate_secret: type (any string; "kubernetes.io/tls" requires the keys tls.crt and
// tls.key in data or stringData), data keys ([-._a-zA-Z0-9]+, <= 253), data values
// (canonical base64), stringData values (strings; a key in both wins from stringData, as
// in Kubernetes), total decoded size <= 1 MiB. The certificate itself is not parsed here: the API server does
// not either; the vrouter agent checks it when it needs it.
//
// normalize_secret (defaulting, after validation): type "Opaque" when missing; every
// stringData entry base64-encoded into data (overriding a data entry of the same key);
// stringData removed (it is write-only in Kubernetes).
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/field_error.h"

namespace csim::kube {

inline constexpr const char* kTlsSecretType = "kubernetes.io/tls";
inline constexpr size_t kMaxSecretBytes = 1024 * 1024;

void validate_secret(const nlohmann::json& secret, FieldErrors& errors);

// Kubernetes' IsConfigMapKey, for the keys of a Secret's and a ConfigMap's data:
// [-._a-zA-Z0-9]+, at most 253 characters, not "." or "..". "" when `key` is valid, else
// what is wrong with it.
std::string config_key_problem(const std::string& key);

void normalize_secret(nlohmann::json& secret);

// A kubernetes.io/tls Secret's PEM texts, decoded.
struct TlsKeyPair {
  std::string certificate_pem;  // data["tls.crt"]
  std::string private_key_pem;  // data["tls.key"]
};

// The stored Secret's tls.crt / tls.key. Errors (kInvalid) name the Secret and
// the field: the wrong type, a missing key, bad base64.
core::Result<TlsKeyPair> tls_key_pair(const nlohmann::json& secret);

}  // namespace csim::kube
