// Where the vrouter agent gets the certificates of TLS listeners: Contrail's agent reads
// Kubernetes Secrets (contrail-reference.md §4.6, cert_mgr/kubernetes_cert.py); csim's
// agent asks this function, which the cluster wires to its Kubernetes object store
// (Secret objects of type kubernetes.io/tls, data tls.crt and tls.key, base64).
//
// A token `crt__<ns>__<secret>` of svc-monitor's haproxy text names the Secret <secret>
// in namespace <ns> (both validated as DNS-1123 names before the source is called).
#pragma once

#include <functional>
#include <string>

#include "core/status.h"

namespace csim::agent {

// A kubernetes.io/tls Secret's contents, already base64-decoded.
struct TlsSecret {
  std::string cert_pem;  // data["tls.crt"]: the certificate, then its chain (PEM)
  std::string key_pem;   // data["tls.key"]: the private key (PEM, not encrypted)
};

// Returns the Secret <name> of namespace <ns>: kNotFound when there is none, kInvalid
// when it is not a usable TLS Secret (wrong type, missing or bad tls.crt / tls.key), with
// a message naming the Secret and the field. The PEM texts need not be checked here: the
// agent parses them (agent/tls_certificate.h).
// Thread: called on the agent's apply strand; must be thread-safe and quick (no I/O
// beyond a local store lookup).
using TlsSecretSource =
    std::function<core::Result<TlsSecret>(const std::string& ns, const std::string& name)>;

}  // namespace csim::agent
